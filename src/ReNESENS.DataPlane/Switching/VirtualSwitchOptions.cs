namespace ReNESENS.DataPlane.Switching;

/// <summary>Settings of a <see cref="VirtualSwitch"/>.</summary>
public sealed class VirtualSwitchOptions
{
    /// <summary>Packets taken from a port per poll; default 32.</summary>
    public int BurstSize { get; set; } = 32;

    /// <summary>Forwarding threads; every port must have this many queues. Default 1.</summary>
    public int Workers { get; set; } = 1;

    /// <summary>Busy polling or waiting on descriptors when idle. Default <see cref="ForwardingMode.Poll"/>.</summary>
    public ForwardingMode Mode { get; set; } = ForwardingMode.Poll;

    /// <summary>MAC table entries; default 4096.</summary>
    public int MacTableCapacity { get; set; } = 4096;

    /// <summary>How long a learned address lives after it was last seen; default 300 s (as 802.1D and the Linux bridge).</summary>
    public TimeSpan AgingTime { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Buffers of the switch's own pool (segments of superframes for ports without TSO); default 2048.</summary>
    public int SegmentBufferCount { get; set; } = 2048;

    /// <summary>Size of those buffers; default 2048 (headroom, headers and a 1500-byte MTU segment).</summary>
    public int SegmentBufferSize { get; set; } = 2048;
}
