namespace ReNESENS.DataPlane.Virtio;

/// <summary>Offloads a packet port accepts on transmit, as negotiated with its peer.</summary>
[Flags]
public enum PortOffloads
{
    /// <summary>None: every checksum is complete and no packet exceeds the MTU.</summary>
    None = 0,

    /// <summary>Partial L4 checksums (<see cref="Memory.ChecksumState.Partial"/>) are completed by the peer.</summary>
    Checksum = 1,

    /// <summary>TCP over IPv4 superframes are segmented by the peer.</summary>
    TcpV4Segmentation = 2,

    /// <summary>TCP over IPv6 superframes are segmented by the peer.</summary>
    TcpV6Segmentation = 4,

    /// <summary>UDP L4 segmentation (USO) is done by the peer.</summary>
    UdpSegmentation = 8,
}
