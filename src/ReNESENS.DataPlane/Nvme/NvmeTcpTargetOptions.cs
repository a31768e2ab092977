namespace ReNESENS.DataPlane.Nvme;

/// <summary>Options of <see cref="NvmeTcpTarget"/>.</summary>
public sealed class NvmeTcpTargetOptions
{
    /// <summary>Address of the single listener used when <see cref="Listeners"/> is empty.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port of the single listener used when <see cref="Listeners"/> is empty (4420 is the IANA port for NVMe/TCP; 0 picks a free one).</summary>
    public int Port { get; set; } = 4420;

    /// <summary>
    /// The listeners (NVM subsystem ports), each with its own address and port, in PORTID order (the first is port 1);
    /// empty: one listener on <see cref="Address"/>:<see cref="Port"/>. The discovery log page has one entry per
    /// subsystem and listener.
    /// </summary>
    public IList<NvmeListenerOptions> Listeners { get; } = [];

    /// <summary>Largest queue depth a host may ask for (CAP.MQES + 1).</summary>
    public int MaxQueueDepth { get; set; } = 128;

    /// <summary>Largest number of I/O queues per controller.</summary>
    public int MaxIoQueues { get; set; } = 8;

    /// <summary>MAXH2CDATA: largest H2CData payload, at least 4096.</summary>
    public int MaxH2CData { get; set; } = 128 * 1024;

    /// <summary>In-capsule data accepted on every queue (IOCCSZ is this plus the 64-byte SQE).</summary>
    public int InCapsuleDataSize { get; set; } = 8192;

    /// <summary>Largest data transfer of one command (MDTS); a power of two from 4096 up.</summary>
    public int MaxDataTransferSize { get; set; } = 1024 * 1024;

    /// <summary>A connection that has not completed Connect within this time is closed.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The subsystems (the discovery subsystem is always present besides them).</summary>
    public IList<NvmeSubsystemOptions> Subsystems { get; } = [];
}
