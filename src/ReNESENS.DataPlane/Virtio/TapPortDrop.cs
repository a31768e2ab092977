namespace ReNESENS.DataPlane.Virtio;

/// <summary>Why a <see cref="TapPort"/> dropped a frame; each reason has its own counter.</summary>
public enum TapPortDrop
{
    /// <summary>A received frame was shorter than the virtio-net header and an Ethernet header.</summary>
    Runt = 0,

    /// <summary>A received frame filled the whole buffer, so it may have been cut short.</summary>
    Oversize,

    /// <summary>The kernel's virtio-net header was refused by <see cref="VirtioNetHeader.TryApplyTo"/>.</summary>
    BadHeader,

    /// <summary>The kernel refused a frame we wrote (an error other than "try again").</summary>
    TransmitRefused,

    /// <summary>A packet to send had no headroom for the virtio-net header or too many segments.</summary>
    TransmitUnfit,
}
