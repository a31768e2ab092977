using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// The producer and consumer sides of a ring, each on its own 128 bytes, with 128 bytes of
/// padding before and after so that neither shares a cache-line pair with the ring object's
/// header, its read-only fields or whatever the allocator puts next to it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 4 * RingHeadTail.Size)]
internal struct RingIndices
{
    /// <summary>Written by the producer thread(s).</summary>
    [FieldOffset(RingHeadTail.Size)]
    public RingHeadTail Producer;

    /// <summary>Written by the consumer thread(s).</summary>
    [FieldOffset(2 * RingHeadTail.Size)]
    public RingHeadTail Consumer;
}
