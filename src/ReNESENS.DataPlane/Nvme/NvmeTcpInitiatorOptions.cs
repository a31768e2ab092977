namespace ReNESENS.DataPlane.Nvme;

/// <summary>Options of <see cref="NvmeTcpInitiator"/>.</summary>
public sealed class NvmeTcpInitiatorOptions
{
    /// <summary>The subsystem to connect to (the discovery NQN for a discovery controller).</summary>
    public string SubsystemNqn { get; set; } = "nqn.2026-11.io.renesens:storage";

    /// <summary>This host's NQN.</summary>
    public string HostNqn { get; set; } = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000000";

    /// <summary>This host's identifier.</summary>
    public Guid HostId { get; set; } = Guid.Empty;

    /// <summary>Number of I/O queues (one TCP connection each); 0 for a discovery or admin-only connection.</summary>
    public int IoQueueCount { get; set; } = 1;

    /// <summary>Depth of each I/O queue (commands in flight per queue).</summary>
    public int QueueDepth { get; set; } = 32;

    /// <summary>Keep-alive timeout given to the controller; Keep Alive is sent every half of it. Zero disables keep-alive.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Ask for header digests.</summary>
    public bool HeaderDigest { get; set; }

    /// <summary>Ask for data digests.</summary>
    public bool DataDigest { get; set; }

    /// <summary>
    /// When false (the default), the continuation of an I/O runs on its queue's receive loop as
    /// soon as the completion arrives, and commands it issues are sent together with the others
    /// that loop's batch produced: the fast path. Such a continuation must not block (a blocking
    /// wait on another command of the same queue would never end). When true, every completion
    /// is queued to the thread pool, at the cost of a thread hop per command.
    /// </summary>
    public bool RunContinuationsAsynchronously { get; set; }
}
