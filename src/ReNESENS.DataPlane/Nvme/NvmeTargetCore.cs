using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The target's state without its sockets: subsystems, controllers, the command-context pool and
/// the keep-alive sweep. Sessions (one per connection) use it; tests and the fuzz target drive
/// sessions over it without a listener.
/// </summary>
internal sealed partial class NvmeTargetCore : IDisposable
{
    private readonly Dictionary<ushort, NvmeController> _controllers = [];
    private readonly HashSet<TargetSession> _sessions = [];
    private NvmeSubsystem[] _subsystems;
    private NvmeListenerInfo[] _listeners = [];
    private long _discoveryGeneration = 1;

    public NvmeTargetCore(NvmeTcpTargetOptions options, ILogger logger)
    {
        NvmeTargetOptionsValidator.ThrowIfInvalid(options);
        Options = options;
        Logger = logger;
        var subsystems = new List<NvmeSubsystem>();
        try
        {
            foreach (NvmeSubsystemOptions subsystem in options.Subsystems)
            {
                subsystems.Add(new NvmeSubsystem(subsystem, logger));
            }
        }
        catch
        {
            subsystems.ForEach(s => s.Dispose());
            throw;
        }

        _subsystems = [.. subsystems];
        Discovery = NvmeSubsystem.CreateDiscovery();
        ContextPool = new DefaultObjectPool<CommandContext>(new DefaultPooledObjectPolicy<CommandContext>(), options.MaxQueueDepth * 4);
    }

    public NvmeTcpTargetOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>Taken by every change of subsystems, namespaces and listeners (never by a queue).</summary>
    public Lock ChangeLock { get; } = new();

    /// <summary>The I/O subsystems (the current set; a new array after every change).</summary>
    public NvmeSubsystem[] Subsystems => Volatile.Read(ref _subsystems);

    public NvmeSubsystem Discovery { get; }

    public ObjectPool<CommandContext> ContextPool { get; }

    /// <summary>The bound listeners in PORTID order, reported in the discovery log page (the current set).</summary>
    public NvmeListenerInfo[] Listeners => Volatile.Read(ref _listeners);

    /// <summary>GENCTR of the discovery log page: incremented when the subsystems or listeners it lists change.</summary>
    public long DiscoveryGeneration => Volatile.Read(ref _discoveryGeneration);

    /// <summary>Adds a bound listener (under <see cref="ChangeLock"/>); the discovery log page changes.</summary>
    public void AddListener(NvmeListenerInfo listener)
    {
        lock (ChangeLock)
        {
            NvmeListenerInfo[] current = Listeners;
            var next = new NvmeListenerInfo[current.Length + 1];
            current.CopyTo(next, 0);
            next[^1] = listener;
            Array.Sort(next, static (a, b) => a.PortId.CompareTo(b.PortId));
            Volatile.Write(ref _listeners, next);
            DiscoveryChangedUnsynchronized();
        }

        NotifyDiscoveryChanged();
    }

    /// <summary>Removes a listener by PORTID; false when there is none.</summary>
    public bool RemoveListener(ushort portId)
    {
        lock (ChangeLock)
        {
            NvmeListenerInfo[] current = Listeners;
            int index = Array.FindIndex(current, l => l.PortId == portId);
            if (index < 0)
            {
                return false;
            }

            Volatile.Write(ref _listeners, [.. current[..index], .. current[(index + 1)..]]);
            DiscoveryChangedUnsynchronized();
        }

        NotifyDiscoveryChanged();
        return true;
    }

    /// <summary>A new discovery log page: GENCTR moves on. The caller holds <see cref="ChangeLock"/>.</summary>
    private void DiscoveryChangedUnsynchronized() => Interlocked.Increment(ref _discoveryGeneration);

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

        _changeGate.Dispose();
    }
}
