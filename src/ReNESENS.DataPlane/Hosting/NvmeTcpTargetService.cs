using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// The hosted NVMe/TCP target: at start it opens the namespaces and binds every listener, at stop it closes the
/// connections and the namespaces (Flush-durable files stay as they are). Its counters are on the meter
/// <see cref="NvmeTcpTarget.MeterName"/>.
/// </summary>
public sealed partial class NvmeTcpTargetService : IHostedService, IAsyncDisposable
{
    private readonly NvmeTcpTargetOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates the service (through dependency injection); nothing opens before <see cref="StartAsync"/>.</summary>
    /// <param name="options">The target's options, validated at host start.</param>
    /// <param name="loggerFactory">Logging.</param>
    public NvmeTcpTargetService(IOptions<NvmeTcpTargetOptions> options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<NvmeTcpTargetService>();
    }

    /// <summary>The running target (for its endpoints and run-time changes); null before start and after stop.</summary>
    public NvmeTcpTarget? Target { get; private set; }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Target is not null)
        {
            throw new InvalidOperationException("The NVMe/TCP target service is already started.");
        }

        var target = new NvmeTcpTarget(_options, _loggerFactory.CreateLogger<NvmeTcpTarget>());
        try
        {
            target.Start();
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Target = target;
        LogStarted(_logger, _options.Subsystems.Count, target.LocalEndPoints.Count);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Target is { } target)
        {
            Target = null;
            await target.DisposeAsync().ConfigureAwait(false);
            LogStopped(_logger);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "NVMe/TCP target started: {Subsystems} subsystem(s) on {Listeners} listener(s)")]
    private static partial void LogStarted(ILogger logger, int subsystems, int listeners);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "NVMe/TCP target stopped: connections closed, namespaces closed")]
    private static partial void LogStopped(ILogger logger);
}
