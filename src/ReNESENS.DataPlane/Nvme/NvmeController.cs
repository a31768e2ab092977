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

    private readonly TargetSession?[] _ioSessions;
    private int _failed;

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

    public uint AsyncEventConfiguration { get; set; }

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
}
