using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// One side of a ring (producer or consumer): its free-running head and tail and, for a
/// single-threaded side, its private copy of the opposite side's tail. 128 bytes, so that with
/// the padding in <see cref="RingIndices"/> it owns a pair of cache lines (the adjacent-line
/// prefetcher pulls lines in pairs).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct RingHeadTail
{
    /// <summary>Bytes taken by one side: two 64-byte cache lines.</summary>
    public const int Size = 128;

    /// <summary>
    /// Next index to reserve. Written by CAS from any thread of a multi-threaded side; unused by a
    /// single-threaded side (its head is its tail between calls).
    /// </summary>
    [FieldOffset(0)]
    public ulong Head;

    /// <summary>
    /// Every index below it is published to the opposite side. Written (release) only by the
    /// side's own thread(s), in reservation order; read (acquire) by the opposite side.
    /// </summary>
    [FieldOffset(8)]
    public ulong Tail;

    /// <summary>
    /// The opposite side's tail as last read by this side. It only lags the real value, so it can
    /// only under-estimate what is available; refreshed when it says there is not enough.
    /// Single-threaded side: plain reads and writes by that thread. Multi-threaded side: read
    /// (acquire) and written (release) by any thread of the side; racing writes may move it back,
    /// never past the real tail.
    /// </summary>
    [FieldOffset(16)]
    public ulong OppositeTailCache;
}
