using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The target's state without its sockets: subsystems, controllers, the command-context pool and
/// the keep-alive sweep. Sessions (one per connection) use it; tests and the fuzz target drive
/// sessions over it without a listener.
/// </summary>
internal sealed class NvmeTargetCore : IDisposable
{
    private readonly Dictionary<ushort, NvmeController> _controllers = [];
    private readonly HashSet<TargetSession> _sessions = [];

    public NvmeTargetCore(NvmeTcpTargetOptions options, ILogger logger)
    {
        Validate(options);
        Options = options;
        Logger = logger;
        var subsystems = new List<NvmeSubsystem>();
        try
        {
            foreach (NvmeSubsystemOptions subsystem in options.Subsystems)
            {
                if (subsystem.Nqn == NvmeOpcodes.DiscoveryNqn || subsystems.Exists(s => s.Nqn == subsystem.Nqn))
                {
                    throw new ArgumentException($"Subsystem NQN {subsystem.Nqn} is reserved or listed twice.", nameof(options));
                }

                subsystems.Add(new NvmeSubsystem(subsystem));
            }
        }
        catch
        {
            subsystems.ForEach(s => s.Dispose());
            throw;
        }

        Subsystems = [.. subsystems];
        Discovery = NvmeSubsystem.CreateDiscovery();
        ContextPool = new DefaultObjectPool<CommandContext>(new DefaultPooledObjectPolicy<CommandContext>(), options.MaxQueueDepth * 4);
    }

    public NvmeTcpTargetOptions Options { get; }

    public ILogger Logger { get; }

    public NvmeSubsystem[] Subsystems { get; }

    public NvmeSubsystem Discovery { get; }

    public ObjectPool<CommandContext> ContextPool { get; }

    /// <summary>The listening endpoint, reported in the discovery log page.</summary>
    public IPEndPoint? EndPoint { get; set; }

    /// <summary>Incremented when the set of subsystems a discovery log page lists changes.</summary>
    public long DiscoveryGeneration { get; } = 1;

    public NvmeSubsystem? FindSubsystem(string nqn)
    {
        if (nqn == NvmeOpcodes.DiscoveryNqn)
        {
            return Discovery;
        }

        foreach (NvmeSubsystem subsystem in Subsystems)
        {
            if (subsystem.Nqn == nqn)
            {
                return subsystem;
            }
        }

        return null;
    }

    public NvmeController? CreateController(NvmeSubsystem subsystem, string hostNqn, Guid hostId, uint keepAliveMs)
    {
        lock (_controllers)
        {
            if (_controllers.Count >= 0xFFEF)
            {
                return null;
            }

            // Controller IDs 1..FFEFh (FFF0h and above are reserved, FFFFh asks for a dynamic one);
            // the lowest free one, as Linux nvmet allocates them.
            ushort id = 1;
            while (_controllers.ContainsKey(id))
            {
                id++;
            }

            var controller = new NvmeController(id, subsystem, hostNqn, hostId, keepAliveMs, Options.MaxIoQueues);
            _controllers.Add(controller.Id, controller);
            return controller;
        }
    }

    public NvmeController? FindController(ushort id)
    {
        lock (_controllers)
        {
            return _controllers.GetValueOrDefault(id);
        }
    }

    /// <summary>Fails the controller (closing its queues) and forgets it; safe to call twice.</summary>
    public void RemoveController(NvmeController controller)
    {
        lock (_controllers)
        {
            if (_controllers.TryGetValue(controller.Id, out NvmeController? known) && known == controller)
            {
                _controllers.Remove(controller.Id);
            }
        }

        controller.Fail();
    }

    public void AddSession(TargetSession session)
    {
        lock (_sessions)
        {
            _sessions.Add(session);
        }
    }

    public void RemoveSession(TargetSession session)
    {
        lock (_sessions)
        {
            _sessions.Remove(session);
        }
    }

    public int ControllerCount
    {
        get
        {
            lock (_controllers)
            {
                return _controllers.Count;
            }
        }
    }

    /// <summary>Ends controllers whose keep-alive timer ran out and connections that never completed Connect.</summary>
    public void Sweep()
    {
        long now = Stopwatch.GetTimestamp();
        List<NvmeController>? expired = null;
        lock (_controllers)
        {
            foreach (NvmeController controller in _controllers.Values)
            {
                if (controller.KeepAliveExpired(now))
                {
                    (expired ??= []).Add(controller);
                }
            }
        }

        if (expired is not null)
        {
            foreach (NvmeController controller in expired)
            {
                NvmeLog.KeepAliveExpired(Logger, controller.Id, controller.Subsystem.Nqn, controller.HostNqn);
                NvmeMetrics.KeepAliveExpirations.Add(1);
                RemoveController(controller);
            }
        }

        List<TargetSession>? stale = null;
        lock (_sessions)
        {
            foreach (TargetSession session in _sessions)
            {
                if (!session.IsConnected && Stopwatch.GetElapsedTime(session.StartedAt, now) > Options.ConnectTimeout)
                {
                    (stale ??= []).Add(session);
                }
            }
        }

        stale?.ForEach(s => s.Abort());
    }

    public void Dispose()
    {
        NvmeController[] controllers;
        lock (_controllers)
        {
            controllers = [.. _controllers.Values];
            _controllers.Clear();
        }

        foreach (NvmeController controller in controllers)
        {
            controller.Fail();
        }

        foreach (NvmeSubsystem subsystem in Subsystems)
        {
            subsystem.Dispose();
        }
    }

    private static void Validate(NvmeTcpTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxQueueDepth is < 2 or > 1024)
        {
            throw new ArgumentException("MaxQueueDepth must be 2..1024.", nameof(options));
        }

        if (options.MaxIoQueues is < 1 or > 64)
        {
            throw new ArgumentException("MaxIoQueues must be 1..64.", nameof(options));
        }

        if (options.MaxH2CData < 4096 || options.MaxH2CData % 4 != 0 || options.MaxH2CData > options.MaxDataTransferSize)
        {
            throw new ArgumentException("MaxH2CData must be a multiple of 4 from 4096 up to MaxDataTransferSize.", nameof(options));
        }

        if (options.InCapsuleDataSize is < 1024 or > 65536 || options.InCapsuleDataSize % 16 != 0)
        {
            throw new ArgumentException("InCapsuleDataSize must be a multiple of 16 from 1024 to 65536 (Connect data is 1024 bytes).", nameof(options));
        }

        if (options.MaxDataTransferSize < 4096 || options.MaxDataTransferSize > (16 << 20) || !int.IsPow2(options.MaxDataTransferSize))
        {
            throw new ArgumentException("MaxDataTransferSize must be a power of two from 4096 to 16 MiB.", nameof(options));
        }
    }
}
