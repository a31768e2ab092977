namespace ReNESENS.DataPlane.Virtio;

/// <summary>A virtqueue's take position, saved before taking buffers that may have to be put back.</summary>
internal readonly record struct QueuePosition(ushort Index, bool WrapCounter, int SegmentMark);
