using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// Opens vhost-user ports (type <c>vhost-user</c>): one <see cref="VhostUserBackend"/> per configured port, its queue
/// pairs as the switch queues. Settings: <c>socket</c> (required), <c>mode</c> (<c>server</c>/<c>client</c>, default
/// server), <c>queues</c> (queue pairs; default and only allowed value: the switch's forwarding threads),
/// <c>mergeable</c>, <c>packed</c>, <c>indirect</c>, <c>event-index</c>, <c>offloads</c> (<c>true</c>/<c>false</c>,
/// default true, as <see cref="VhostUserBackendOptions"/>) and <c>buffers</c> (receive buffers of 2 KiB per queue
/// pair, default 4096).
/// </summary>
/// <remarks>
/// Each backend has its own <see cref="BufferPool"/>. The returned queues are <see cref="IDisposable"/>: the hosted
/// switch disposes them when it stops, which closes the socket, releases the frontend's memory and then the pool.
/// vhost-user queues are <see cref="IWaitablePort"/> (their descriptor holds the kick eventfd), so in
/// <see cref="Switching.ForwardingMode.Event"/> mode a forwarding thread sleeps until a guest kicks.
/// </remarks>
public sealed class VhostUserSwitchPortFactory : ISwitchPortFactory
{
    /// <summary>The type name.</summary>
    public const string TypeName = "vhost-user";

    /// <summary>Size of the receive buffers; longer packets are chained.</summary>
    private const int BufferSize = 2048;

    private const int DefaultBuffersPerQueuePair = 4096;

    private readonly ILoggerFactory _loggerFactory;

    /// <summary>Creates the factory.</summary>
    /// <param name="loggerFactory">Logs of the backends (connections, refused messages, stopped rings); optional.</param>
    public VhostUserSwitchPortFactory(ILoggerFactory? loggerFactory = null)
    {
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <inheritdoc />
    public string Type => TypeName;

    /// <summary>Reads the backend options from a port's settings.</summary>
    /// <param name="configuration">The port's configuration.</param>
    /// <param name="queueCount">Queue pairs the switch needs (its forwarding threads).</param>
    /// <returns>The options; the port name (with <c>:</c>) prefixes the queue names.</returns>
    /// <exception cref="ArgumentException">A setting is missing, not a value of its type, or out of range.</exception>
    public static VhostUserBackendOptions ParseOptions(SwitchPortConfiguration configuration, int queueCount)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCount, 1);
        IDictionary<string, string> settings = configuration.Settings;
        if (!settings.TryGetValue("socket", out string? socket) || string.IsNullOrWhiteSpace(socket))
        {
            throw Bad(configuration, "needs Settings:socket, the path of the vhost-user unix socket");
        }

        VhostUserMode mode = VhostUserMode.Server;
        if (settings.TryGetValue("mode", out string? m))
        {
            mode = m.Trim().ToUpperInvariant() switch
            {
                "SERVER" => VhostUserMode.Server,
                "CLIENT" => VhostUserMode.Client,
                _ => throw Bad(configuration, $"Settings:mode must be 'server' or 'client', not '{m}'"),
            };
        }

        int queues = Integer(configuration, "queues", queueCount, 1, VhostUserBackend.MaxQueuePairs);
        if (queues != queueCount)
        {
            throw Bad(configuration, $"Settings:queues is {queues}, but the switch runs {queueCount} forwarding thread(s) and needs one queue pair per thread");
        }

        return new VhostUserBackendOptions
        {
            SocketPath = socket,
            Mode = mode,
            QueuePairs = queues,
            MergeableReceiveBuffers = Flag(configuration, "mergeable"),
            PackedRing = Flag(configuration, "packed"),
            IndirectDescriptors = Flag(configuration, "indirect"),
            EventIndex = Flag(configuration, "event-index"),
            Offloads = Flag(configuration, "offloads"),
            PortNamePrefix = configuration.Name + ":",
        };
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A setting is wrong (see <see cref="ParseOptions"/>).</exception>
    public IReadOnlyList<IPacketPort> Open(SwitchPortConfiguration configuration, int queueCount)
    {
        VhostUserBackendOptions options = ParseOptions(configuration, queueCount);
        int buffers = Integer(configuration, "buffers", DefaultBuffersPerQueuePair, 256, 1 << 20);
        BufferPool pool = BufferPool.Create(buffers * options.QueuePairs, BufferSize);
        VhostUserBackend? backend = null;
        try
        {
            backend = new VhostUserBackend(options, pool, _loggerFactory.CreateLogger<VhostUserBackend>());
            backend.Start();
            var owner = new Owner(backend, pool);
            return [.. backend.Ports.Select(p => new OwnedQueue(p, owner))];
        }
        catch
        {
            backend?.Dispose();
            pool.Dispose();
            throw;
        }
    }

    private static ArgumentException Bad(SwitchPortConfiguration configuration, string what) =>
        new($"vhost-user port '{configuration.Name}': {what}.", nameof(configuration));

    private static bool Flag(SwitchPortConfiguration configuration, string name)
    {
        if (!configuration.Settings.TryGetValue(name, out string? text))
        {
            return true;
        }

        return bool.TryParse(text.Trim(), out bool value) ? value : throw Bad(configuration, $"Settings:{name} must be true or false, not '{text}'");
    }

    private static int Integer(SwitchPortConfiguration configuration, string name, int fallback, int min, int max)
    {
        if (!configuration.Settings.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw Bad(configuration, $"Settings:{name} must be a whole number from {min} to {max}, not '{text}'");
        }

        return value;
    }

    /// <summary>Closes the backend and then frees its pool, once, whichever queue is disposed first.</summary>
    private sealed class Owner(VhostUserBackend backend, BufferPool pool)
    {
        private int _closed;

        internal void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                backend.Dispose();
                pool.Dispose();
            }
        }
    }

    /// <summary>A queue pair of the backend that closes the backend when the switch host disposes it.</summary>
    private sealed class OwnedQueue(VhostUserPort port, Owner owner) : IWaitablePort, IDisposable
    {
        public string Name => port.Name;

        public SafeFdHandle ReceiveReadyDescriptor => port.ReceiveReadyDescriptor;

        public bool PrepareToWait() => port.PrepareToWait();

        public void EndWait() => port.EndWait();

        public PortOffloads TransmitOffloads => port.TransmitOffloads;

        public int ReceiveBurst(Span<PacketBuffer> packets) => port.ReceiveBurst(packets);

        public int TransmitBurst(ReadOnlySpan<PacketBuffer> packets) => port.TransmitBurst(packets);

        public void Dispose() => owner.Close();
    }
}
