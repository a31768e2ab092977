namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// Changes while the target runs: subsystems added and removed, namespaces attached, detached and resized. Each
/// publishes a new immutable array (queues never lock), raises the asynchronous event notices hosts asked for, and
/// frees what it took away only after a grace period in which every session that might still hold it has left
/// <see cref="TargetSession.Process"/> (sessions touch namespaces only there).
/// </summary>
/// <remarks>
/// One kind of access outlives its <see cref="TargetSession.Process"/> call: a Read's payload that a RAM namespace
/// sends in place is handed to the socket just after it, from the namespace's region. Each such payload holds a
/// reference on the region's mapping (<see cref="BlockingSocketPipe.AppendInPlace"/>), so a namespace closed after
/// its grace period is unmapped only once those sends are done. The bytes sent are the region's when the kernel copies
/// them: a Write to the same blocks, or the release of a shrunk tail, that races the Read may show in them, as for any
/// two commands in flight at once. Writes never land outside <see cref="TargetSession.Process"/>: an H2CData payload received in
/// place is received there, without blocking, and the namespace is checked again before every receive.
/// </remarks>
internal sealed partial class NvmeTargetCore
{
    /// <summary>Serialises the changes (one at a time, across their grace periods); never taken by a queue.</summary>
    private readonly SemaphoreSlim _changeGate = new(1, 1);

    public async Task AddSubsystemAsync(NvmeSubsystemOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        await _changeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (FindSubsystem(options.Nqn) is not null)
            {
                throw new ArgumentException($"Subsystem {options.Nqn} is already served.", nameof(options));
            }

            ThrowIfNamespacesInvalid(options);
            var subsystem = new NvmeSubsystem(options, Logger);
            lock (ChangeLock)
            {
                Volatile.Write(ref _subsystems, [.. Subsystems, subsystem]);
                DiscoveryChangedUnsynchronized();
            }
        }
        finally
        {
            _changeGate.Release();
        }

        NvmeLog.SubsystemAdded(Logger, options.Nqn, options.Namespaces.Count);
        NotifyDiscoveryChanged();
    }

    /// <summary>
    /// Removes a subsystem: Connect no longer finds it, it leaves the discovery log page, its controllers end (their
    /// connections close), and its namespaces are flushed and closed once no session can reach them.
    /// </summary>
    public async Task<bool> RemoveSubsystemAsync(string nqn)
    {
        NvmeSubsystem? removed;
        await _changeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (ChangeLock)
            {
                NvmeSubsystem[] current = Subsystems;
                removed = Array.Find(current, s => s.Nqn == nqn);
                if (removed is null)
                {
                    return false;
                }

                removed.MarkRemoved();
                Volatile.Write(ref _subsystems, Array.FindAll(current, s => s != removed));
                DiscoveryChangedUnsynchronized();
            }

            NotifyDiscoveryChanged();

            // A Connect that found the subsystem before it left the array created its controller within that same
            // Process call: after one grace period every such controller exists, and none can be created any more.
            await WaitForQuiescenceAsync().ConfigureAwait(false);
            foreach (NvmeController controller in ControllersOf(removed))
            {
                RemoveController(controller);
            }

            // Their queues see the failure on their next Process; one more grace period for those inside one now.
            await WaitForQuiescenceAsync().ConfigureAwait(false);
            foreach (NvmeNamespace ns in removed.Namespaces)
            {
                ns.Backend.Flush();
            }

            removed.Dispose();
        }
        finally
        {
            _changeGate.Release();
        }

        NvmeLog.SubsystemRemoved(Logger, nqn);
        return true;
    }

    /// <summary>Attaches a new namespace to a subsystem (its back-end is opened here) and tells every controller of it.</summary>
    public async Task AttachNamespaceAsync(string nqn, NvmeNamespaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        NvmeSubsystem subsystem;
        await _changeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            subsystem = FindIoSubsystem(nqn);
            if (NvmeTargetOptionsValidator.NamespaceProblem(options) is { } problem)
            {
                throw new ArgumentException($"Namespace {options.NamespaceId} of {nqn}: {problem}", nameof(options));
            }

            if (options.NamespaceId > subsystem.MaxNamespaceId)
            {
                throw new ArgumentException($"Namespace {options.NamespaceId} of {nqn}: NSID is above the subsystem's MaxNamespaceId {subsystem.MaxNamespaceId}.", nameof(options));
            }

            if (subsystem.Find(options.NamespaceId) is not null)
            {
                throw new ArgumentException($"Namespace {options.NamespaceId} of {nqn} is already attached.", nameof(options));
            }

            var ns = new NvmeNamespace(nqn, options, Logger);
            lock (ChangeLock)
            {
                NvmeNamespace[] current = subsystem.Namespaces;
                var next = new NvmeNamespace[current.Length + 1];
                int at = 0;
                while (at < current.Length && current[at].NamespaceId < ns.NamespaceId)
                {
                    at++;
                }

                Array.Copy(current, next, at);
                next[at] = ns;
                Array.Copy(current, at, next, at + 1, current.Length - at);
                subsystem.PublishNamespaces(next);
            }
        }
        finally
        {
            _changeGate.Release();
        }

        NvmeLog.NamespaceAttached(Logger, options.NamespaceId, nqn);
        NotifyNamespaceChanged(subsystem, options.NamespaceId);
    }

    /// <summary>
    /// Detaches a namespace: new commands get Invalid Namespace, a Write whose data is still arriving fails, and the
    /// back-end is flushed and closed after the grace period.
    /// </summary>
    public async Task<bool> DetachNamespaceAsync(string nqn, uint nsid)
    {
        NvmeSubsystem subsystem;
        NvmeNamespace? ns;
        await _changeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            subsystem = FindIoSubsystem(nqn);
            lock (ChangeLock)
            {
                ns = subsystem.Find(nsid);
                if (ns is null)
                {
                    return false;
                }

                ns.MarkDetached();
                subsystem.PublishNamespaces(Array.FindAll(subsystem.Namespaces, n => n != ns));
            }

            NotifyNamespaceChanged(subsystem, nsid);
            await WaitForQuiescenceAsync().ConfigureAwait(false);
            ns.Backend.Flush();
            ns.Dispose();
        }
        finally
        {
            _changeGate.Release();
        }

        NvmeLog.NamespaceDetached(Logger, nsid, nqn);
        return true;
    }

    /// <summary>
    /// Resizes a namespace. Growing: the back-end grows, then the new size is published. Shrinking: the new size is
    /// published first (commands past it fail with LBA Out of Range), and the tail is given back after the grace period.
    /// </summary>
    public async Task ResizeNamespaceAsync(string nqn, uint nsid, long sizeBytes)
    {
        NvmeSubsystem subsystem;
        await _changeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            subsystem = FindIoSubsystem(nqn);
            NvmeNamespace ns = subsystem.Find(nsid) ?? throw new ArgumentException($"Namespace {nsid} of {nqn} is not attached.", nameof(nsid));
            if (sizeBytes < ns.BlockSize || sizeBytes % ns.BlockSize != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes, $"The size is not a positive multiple of the block size {ns.BlockSize}.");
            }

            long blocks = sizeBytes >> ns.BlockShift;
            long old = ns.BlockCount;
            if (blocks == old)
            {
                return;
            }

            if (blocks > old)
            {
                ns.Grow(blocks);
                NotifyNamespaceChanged(subsystem, nsid);
            }
            else
            {
                // A resize to the present size changes nothing but fails for a back-end that cannot resize at all.
                ns.Backend.Resize(ns.Backend.Capacity);
                ns.BeginShrink(blocks);
                NotifyNamespaceChanged(subsystem, nsid);
                await WaitForQuiescenceAsync().ConfigureAwait(false);
                ns.CompleteShrink();
            }

            NvmeLog.NamespaceResized(Logger, nsid, nqn, old << ns.BlockShift, sizeBytes);
        }
        finally
        {
            _changeGate.Release();
        }
    }

    /// <summary>
    /// Returns once every session that was inside <see cref="TargetSession.Process"/> when this was called has left
    /// it: anything unpublished before the call is then out of every session's reach.
    /// </summary>
    public async Task WaitForQuiescenceAsync()
    {
        // Pairs with the Interlocked increment at Process entry: either that session saw the change, or we see it inside.
        Interlocked.MemoryBarrier();
        List<(TargetSession Session, long Epoch)> busy = [];
        lock (_sessions)
        {
            foreach (TargetSession session in _sessions)
            {
                long epoch = session.Epoch;
                if ((epoch & 1) != 0)
                {
                    busy.Add((session, epoch));
                }
            }
        }

        foreach ((TargetSession session, long epoch) in busy)
        {
            while (session.Epoch == epoch)
            {
                await Task.Delay(1).ConfigureAwait(false);
            }
        }
    }

    private NvmeSubsystem FindIoSubsystem(string nqn)
    {
        ArgumentNullException.ThrowIfNull(nqn);
        NvmeSubsystem? subsystem = FindSubsystem(nqn);
        return subsystem is { IsDiscovery: false }
            ? subsystem
            : throw new ArgumentException($"No NVM subsystem {nqn} is served.", nameof(nqn));
    }

    private static void ThrowIfNamespacesInvalid(NvmeSubsystemOptions options)
    {
        var probe = new NvmeTcpTargetOptions { Port = 0 };
        probe.Subsystems.Add(options);
        List<string> errors = NvmeTargetOptionsValidator.Collect(probe);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Subsystem {options.Nqn}: " + string.Join(" ", errors), nameof(options));
        }
    }

    private List<NvmeController> ControllersOf(NvmeSubsystem subsystem)
    {
        var list = new List<NvmeController>();
        lock (_controllers)
        {
            foreach (NvmeController controller in _controllers.Values)
            {
                if (controller.Subsystem == subsystem)
                {
                    list.Add(controller);
                }
            }
        }

        return list;
    }

    private void NotifyNamespaceChanged(NvmeSubsystem subsystem, uint nsid)
    {
        foreach (NvmeController controller in ControllersOf(subsystem))
        {
            if (controller.NamespaceChanged(nsid))
            {
                controller.AdminSession?.WakeUp();
            }
        }
    }

    private void NotifyDiscoveryChanged()
    {
        foreach (NvmeController controller in ControllersOf(Discovery))
        {
            if (controller.DiscoveryLogChanged())
            {
                controller.AdminSession?.WakeUp();
            }
        }
    }
}
