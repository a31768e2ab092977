using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Switching;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// The hosted switch: at start it opens the configured ports through their factories, starts forwarding and
/// publishes metrics; at stop it stops forwarding and closes the ports it opened (also when start failed half way).
/// </summary>
public sealed partial class VirtualSwitchService : IHostedService, IDisposable
{
    private readonly VirtualSwitchHostOptions _options;
    private readonly Dictionary<string, ISwitchPortFactory> _factories;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IMeterFactory? _meterFactory;
    private readonly List<IDisposable> _opened = [];
    private SwitchMetrics? _metrics;

    /// <summary>Creates the service (through dependency injection).</summary>
    /// <param name="options">The switch and its ports.</param>
    /// <param name="factories">Port factories by type.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="meterFactory">Metrics; optional.</param>
    public VirtualSwitchService(IOptions<VirtualSwitchHostOptions> options, IEnumerable<ISwitchPortFactory> factories, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(factories);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _factories = new Dictionary<string, ISwitchPortFactory>(StringComparer.OrdinalIgnoreCase);
        foreach (ISwitchPortFactory f in factories)
        {
            _factories[f.Type] = f;
        }

        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<VirtualSwitchService>();
        _meterFactory = meterFactory;
    }

    /// <summary>The running switch; null before start.</summary>
    public VirtualSwitch? Switch { get; private set; }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var s = new VirtualSwitch(_options.Forwarding, _loggerFactory.CreateLogger<VirtualSwitch>());
        Switch = s;
        try
        {
            foreach (SwitchPortConfiguration port in _options.Ports)
            {
                if (!_factories.TryGetValue(port.Type, out ISwitchPortFactory? factory))
                {
                    throw new InvalidOperationException($"Port {port.Name}: no factory for type '{port.Type}' (known: {string.Join(", ", _factories.Keys)}).");
                }

                IReadOnlyList<IPacketPort> queues = factory.Open(port, _options.Forwarding.Workers);
                foreach (IPacketPort q in queues)
                {
                    if (q is IDisposable d)
                    {
                        _opened.Add(d);
                    }
                }

                s.AddPort(port.Name, queues, port.Vlan);
                LogPortOpened(_logger, port.Name, port.Type, queues.Count, queues[0].TransmitOffloads);
            }

            _metrics = new SwitchMetrics(s, _meterFactory);
            s.Start();
        }
        catch
        {
            Close();
            throw;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Close();
        return Task.CompletedTask;
    }

    /// <summary>Stops forwarding and closes the ports.</summary>
    public void Dispose() => Close();

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Port {Port} ({Type}) opened with {Queues} queue(s), transmit offloads {Offloads}")]
    private static partial void LogPortOpened(ILogger logger, string port, string type, int queues, PortOffloads offloads);

    private void Close()
    {
        Switch?.Dispose();
        _metrics?.Dispose();
        _metrics = null;
        foreach (IDisposable d in _opened)
        {
            d.Dispose();
        }

        _opened.Clear();
    }
}
