namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// Why a virtqueue stopped. Any value but <see cref="None"/> means the driver broke the VIRTIO rules: the
/// queue takes no more buffers and the device needs a reset (<c>VIRTIO_CONFIG_S_NEEDS_RESET</c>).
/// </summary>
internal enum VirtqueueError
{
    /// <summary>The queue works.</summary>
    None = 0,

    /// <summary>The available index moved ahead of the last one seen by more than the queue size.</summary>
    AvailableIndexJump,

    /// <summary>A head or next index is past the end of its descriptor table, or a buffer id is out of range.</summary>
    DescriptorIndexOutOfRange,

    /// <summary>A descriptor's address and length are not entirely inside one region of guest memory.</summary>
    DescriptorOutOfRange,

    /// <summary>A chain has more descriptors than the queue size (this also catches loops).</summary>
    ChainTooLong,

    /// <summary>A descriptor is device-writable where the device must read, or the other way around.</summary>
    WrongDirection,

    /// <summary>An indirect descriptor where none is allowed: not negotiated, not the chain's only head, inside another indirect table, with NEXT set, or with a table length that is not a non-zero multiple of 16.</summary>
    InvalidIndirect,
}
