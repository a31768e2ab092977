namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// Checksum offload state of a packet, as the virtio-net header carries it.
/// </summary>
public enum ChecksumState : byte
{
    /// <summary>Nothing is known about the checksums: the receiver must verify them, the sender has filled them in.</summary>
    None = 0,

    /// <summary>
    /// The L4 checksum still has to be completed (virtio <c>VIRTIO_NET_HDR_F_NEEDS_CSUM</c>): the one's
    /// complement sum from <see cref="PacketBuffer.ChecksumStart"/> to the end of the packet must be
    /// stored at <see cref="PacketBuffer.ChecksumStart"/> + <see cref="PacketBuffer.ChecksumOffset"/>.
    /// </summary>
    Partial = 1,

    /// <summary>The checksums have been verified (virtio <c>VIRTIO_NET_HDR_F_DATA_VALID</c>).</summary>
    Valid = 2,
}
