using System.Diagnostics;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// A dynamic controller created by a Connect on an admin queue: its registers, features and
/// queues. Every field is written by the admin session's thread except <see cref="_failed"/>
/// (set once by whichever thread tears the controller down) and <see cref="_ioSessions"/> (under its lock).
/// </summary>
internal sealed class NvmeController
{
    /// <summary>CC.EN.</summary>
    public const uint CcEnable = 1;

    /// <summary>CSTS.RDY.</summary>
    public const uint CstsReady = 1;

    /// <summary>CSTS.CFS.</summary>
    public const uint CstsFatal = 2;

    /// <summary>CSTS.SHST = 10b, shutdown complete.</summary>
    public const uint CstsShutdownComplete = 2 << 2;

    /// <summary>Asynchronous Event Request Limit (AERL, 0's based): four outstanding.</summary>
    public const int MaxAsyncEvents = 4;

    /// <summary>Asynchronous Event Configuration bit 8: Namespace Attribute Notices.</summary>
    public const uint AecNamespaceAttribute = 1u << 8;

    /// <summary>Asynchronous Event Configuration bit 31: Discovery Log Page Change Notices (discovery controllers).</summary>
    public const uint AecDiscoveryLogChange = 1u << 31;

    /// <summary>AEN completion DW0: type 010b Notice, information 00h Namespace Attribute Changed, log page 04h.</summary>
    public const uint EventNamespaceAttributeChanged = 0x2u | (0x00u << 8) | ((uint)NvmeOpcodes.LogChangedNamespaces << 16);

    /// <summary>AEN completion DW0: type 010b Notice, information F0h Discovery Log Page Change, log page 70h.</summary>
    public const uint EventDiscoveryLogChanged = 0x2u | (0xF0u << 8) | ((uint)NvmeOpcodes.LogDiscovery << 16);

    /// <summary>Entries of the Changed Namespace List log page (NVMe base 2.0, 5.16.1.5).</summary>
    public const int ChangedNamespaceListCapacity = 1024;

    private readonly TargetSession?[] _ioSessions;
    private int _failed;

    /// <summary>Guards the event state below: written by the thread that changes namespaces or the discovery log, read by the admin session.</summary>
    private readonly Lock _eventLock = new();

    /// <summary>AEN completions (DW0) waiting for an outstanding Asynchronous Event Request.</summary>
    private readonly Queue<uint> _pendingEvents = new();

    /// <summary>NSIDs changed since the Changed Namespace List was last read; null after more than 1024 (the list then reads FFFFFFFFh).</summary>
    private SortedSet<uint>? _changedNamespaces = [];

    /// <summary>A Namespace Attribute Changed notice was posted and log page 04h has not been read with RAE cleared since.</summary>
    private bool _namespaceNoticeMasked;

    /// <summary>A Discovery Log Page Change notice was posted and log page 70h has not been read with RAE cleared since.</summary>
    private bool _discoveryNoticeMasked;

    /// <summary>Count of <see cref="_pendingEvents"/>, read without the lock by the admin session's loop.</summary>
    private int _pendingEventCount;

    public NvmeController(ushort id, NvmeSubsystem subsystem, string hostNqn, Guid hostId, uint keepAliveMs, int maxIoQueues)
    {
        Id = id;
        Subsystem = subsystem;
        HostNqn = hostNqn;
        HostId = hostId;
        KeepAliveTimeoutMs = keepAliveMs;
        IoQueueCount = maxIoQueues;
        _ioSessions = new TargetSession?[maxIoQueues + 1];
        TouchKeepAlive();
    }

    public ushort Id { get; }

    public NvmeSubsystem Subsystem { get; }

    public string HostNqn { get; }

    public Guid HostId { get; }

    /// <summary>KATO in milliseconds; 0 disables the keep-alive timer.</summary>
    public uint KeepAliveTimeoutMs { get; set; }

    /// <summary>Number of I/O queues granted (Set Features, Number of Queues).</summary>
    public int IoQueueCount { get; set; }

    /// <summary>True once Set Features (Number of Queues) has been answered: it may be set only once.</summary>
    public bool IoQueueCountSet { get; set; }

    public uint ControllerConfiguration { get; set; }

    public uint ControllerStatus { get; set; }

    /// <summary>Asynchronous Event Configuration (Set Features 0Bh); written by the admin session, read under the event lock.</summary>
    public uint AsyncEventConfiguration
    {
        get => Volatile.Read(ref _asyncEventConfiguration);
        set => Volatile.Write(ref _asyncEventConfiguration, value);
    }

    private uint _asyncEventConfiguration;

    /// <summary>True when an AEN waits for an Asynchronous Event Request (checked by the admin session without locking).</summary>
    public bool HasPendingEvents => Volatile.Read(ref _pendingEventCount) != 0;

    /// <summary>Stopwatch timestamp of the last Keep Alive (or Connect); read by the keep-alive timer.</summary>
    public long LastKeepAlive;

    public bool IsFailed => Volatile.Read(ref _failed) != 0;

    public bool IsEnabled => (ControllerStatus & CstsReady) != 0;

    /// <summary>The admin queue's session.</summary>
    public TargetSession? AdminSession { get; set; }

    public void TouchKeepAlive() => Volatile.Write(ref LastKeepAlive, Stopwatch.GetTimestamp());

    /// <summary>True when the keep-alive timer has run out (KATO plus one KAS unit of grace).</summary>
    public bool KeepAliveExpired(long now)
    {
        uint kato = KeepAliveTimeoutMs;
        return kato != 0 && Stopwatch.GetElapsedTime(Volatile.Read(ref LastKeepAlive), now).TotalMilliseconds > kato + 100;
    }

    /// <summary>Binds an I/O queue; false when the QID is out of range or already connected.</summary>
    public bool TryAttach(int qid, TargetSession session)
    {
        lock (_ioSessions)
        {
            if (IsFailed || qid < 1 || qid > IoQueueCount || qid >= _ioSessions.Length || _ioSessions[qid] is not null)
            {
                return false;
            }

            _ioSessions[qid] = session;
            return true;
        }
    }

    public void Detach(int qid, TargetSession session)
    {
        lock (_ioSessions)
        {
            if ((uint)qid < (uint)_ioSessions.Length && _ioSessions[qid] == session)
            {
                _ioSessions[qid] = null;
            }
        }
    }

    /// <summary>Ends the controller once: later writes are refused and every queue's connection is closed.</summary>
    /// <returns>True for the call that did it.</returns>
    public bool Fail()
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return false;
        }

        ControllerStatus |= CstsFatal;
        TargetSession?[] sessions;
        lock (_ioSessions)
        {
            sessions = [.. _ioSessions];
            Array.Clear(_ioSessions);
        }

        AdminSession?.Abort();
        foreach (TargetSession? session in sessions)
        {
            session?.Abort();
        }

        return true;
    }

    /// <summary>Closes the I/O queues (controller reset or shutdown) but keeps the admin queue.</summary>
    public void CloseIoQueues()
    {
        TargetSession?[] sessions;
        lock (_ioSessions)
        {
            sessions = [.. _ioSessions];
            Array.Clear(_ioSessions);
        }

        foreach (TargetSession? session in sessions)
        {
            session?.Abort();
        }
    }

    /// <summary>
    /// Records a namespace whose attributes changed (attached, detached, resized) in the Changed Namespace List and,
    /// when the host enabled Namespace Attribute Notices and none is outstanding, queues the notice.
    /// </summary>
    /// <returns>True when a notice was queued: the admin session must be woken to post it.</returns>
    public bool NamespaceChanged(uint nsid)
    {
        lock (_eventLock)
        {
            if (_changedNamespaces is { } changed && !changed.Contains(nsid))
            {
                if (changed.Count == ChangedNamespaceListCapacity)
                {
                    _changedNamespaces = null;
                }
                else
                {
                    changed.Add(nsid);
                }
            }

            if ((AsyncEventConfiguration & AecNamespaceAttribute) == 0 || _namespaceNoticeMasked)
            {
                return false;
            }

            _namespaceNoticeMasked = true;
            return EnqueueUnsynchronized(EventNamespaceAttributeChanged);
        }
    }

    /// <summary>Queues a Discovery Log Page Change notice when the host enabled them and none is outstanding.</summary>
    /// <returns>True when a notice was queued.</returns>
    public bool DiscoveryLogChanged()
    {
        lock (_eventLock)
        {
            if ((AsyncEventConfiguration & AecDiscoveryLogChange) == 0 || _discoveryNoticeMasked)
            {
                return false;
            }

            _discoveryNoticeMasked = true;
            return EnqueueUnsynchronized(EventDiscoveryLogChanged);
        }
    }

    /// <summary>
    /// The Changed Namespace List log page (04h): up to 1024 NSIDs in ascending order, or FFFFFFFFh first when more
    /// changed. Reading clears the list (as Linux nvmet does); with RAE cleared it also unmasks the notice so that the
    /// next change raises a new one.
    /// </summary>
    public byte[] ReadChangedNamespaces(bool retainAsyncEvent)
    {
        byte[] page = new byte[ChangedNamespaceListCapacity * 4];
        lock (_eventLock)
        {
            if (_changedNamespaces is null)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(page, 0xFFFFFFFF);
            }
            else
            {
                int i = 0;
                foreach (uint nsid in _changedNamespaces)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(i++ * 4), nsid);
                }
            }

            _changedNamespaces = [];
            if (!retainAsyncEvent)
            {
                _namespaceNoticeMasked = false;
            }
        }

        return page;
    }

    /// <summary>The host read the discovery log page: with RAE cleared the next change raises a new notice.</summary>
    public void DiscoveryLogRead(bool retainAsyncEvent)
    {
        if (!retainAsyncEvent)
        {
            lock (_eventLock)
            {
                _discoveryNoticeMasked = false;
            }
        }
    }

    /// <summary>Takes the oldest queued AEN (DW0 of its completion).</summary>
    public bool TryTakeEvent(out uint dword0)
    {
        lock (_eventLock)
        {
            if (_pendingEvents.TryDequeue(out dword0))
            {
                _pendingEventCount = _pendingEvents.Count;
                return true;
            }

            return false;
        }
    }

    private bool EnqueueUnsynchronized(uint dword0)
    {
        _pendingEvents.Enqueue(dword0);
        Volatile.Write(ref _pendingEventCount, _pendingEvents.Count);
        return true;
    }
}
