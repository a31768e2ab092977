namespace ReNESENS.DataPlane.Virtio;

/// <summary>One available buffer taken from a virtqueue: its id and the segments its chain describes.</summary>
internal struct VirtqueueBuffer
{
    /// <summary>The id to return in the used ring (split: head index; packed: buffer id).</summary>
    public ushort Id;

    /// <summary>Ring slots the chain took (packed rings advance the used position by this).</summary>
    public ushort SlotCount;

    /// <summary>First segment in the queue's segment array.</summary>
    public int SegmentStart;

    /// <summary>Number of segments.</summary>
    public int SegmentCount;

    /// <summary>Sum of the segment lengths.</summary>
    public long Length;
}
