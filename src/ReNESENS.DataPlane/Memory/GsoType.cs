namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// Segmentation offload requested for a packet larger than the MTU, as the virtio-net header carries it
/// (<c>VIRTIO_NET_HDR_GSO_*</c>); the segment size is <see cref="PacketBuffer.GsoSize"/>.
/// </summary>
public enum GsoType : byte
{
    /// <summary>No segmentation: the packet goes on the wire as it is.</summary>
    None = 0,

    /// <summary>TCP over IPv4 segmentation (TSO).</summary>
    TcpV4 = 1,

    /// <summary>TCP over IPv6 segmentation (TSO).</summary>
    TcpV6 = 2,

    /// <summary>UDP fragmentation offload (UFO: IP fragments of one datagram).</summary>
    Udp = 3,

    /// <summary>UDP segmentation offload (USO: one datagram per segment).</summary>
    UdpL4 = 4,
}
