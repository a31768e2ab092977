namespace ReNESENS.DataPlane.Virtio;

/// <summary>One checked descriptor of a chain: where it lies in our mapping of guest memory, and its length.</summary>
internal readonly unsafe struct BufferSegment(byte* pointer, uint length)
{
    /// <summary>Start of the bytes; inside a live <see cref="GuestMemory"/> mapping.</summary>
    public readonly byte* Pointer = pointer;

    /// <summary>Length in bytes.</summary>
    public readonly uint Length = length;
}
