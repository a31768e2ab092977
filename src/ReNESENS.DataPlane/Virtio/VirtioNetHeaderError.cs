namespace ReNESENS.DataPlane.Virtio;

/// <summary>Why a virtio-net header was refused by <see cref="VirtioNetHeader.TryApplyTo"/>.</summary>
public enum VirtioNetHeaderError
{
    /// <summary>The header is sound and was applied.</summary>
    None = 0,

    /// <summary>A flag bit that VIRTIO 1.2 does not define is set.</summary>
    UnknownFlags,

    /// <summary>The checksum field (<c>csum_start + csum_offset + 2</c>) lies past the end of the packet.</summary>
    ChecksumOutOfBounds,

    /// <summary>The segmentation type is unknown, or ECN is set on a type other than TCP.</summary>
    UnknownGsoType,

    /// <summary>Segmentation was asked with a segment size of 0.</summary>
    ZeroSegmentSize,

    /// <summary>TCP or UDP L4 segmentation was asked without <c>NEEDS_CSUM</c>.</summary>
    SegmentationWithoutChecksum,
}
