using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// The control block at the start of a <see cref="ByteRing"/> in shared memory. The producer
/// index and the consumer index each sit on their own 128-byte line so the two sides never
/// write the same cache line (or its adjacent-line prefetch pair).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct ByteRingHeader
{
    /// <summary>Bytes before the record area.</summary>
    internal const int Size = 384;

    /// <summary>"RNBR" little-endian.</summary>
    internal const uint MagicValue = 0x5242_4E52;

    internal const uint CurrentVersion = 1;

    /// <summary>Written once by <see cref="ByteRing.Create"/>.</summary>
    [FieldOffset(0)] public uint Magic;

    /// <summary>Written once by <see cref="ByteRing.Create"/>.</summary>
    [FieldOffset(4)] public uint Version;

    /// <summary>Bytes in the record area, a power of two; written once by <see cref="ByteRing.Create"/>.</summary>
    [FieldOffset(8)] public long Capacity;

    /// <summary>Free-running byte position of the next record to write; written only by the producer.</summary>
    [FieldOffset(128)] public long Tail;

    /// <summary>Free-running byte position of the next record to read; written only by the consumer.</summary>
    [FieldOffset(256)] public long Head;
}

/// <summary>The 8-byte header in front of every record.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct ByteRingRecordHeader
{
    internal const int Size = 8;

    /// <summary>A record that holds data.</summary>
    internal const uint KindData = 0;

    /// <summary>Filler up to the end of the record area; the next record starts at position 0.</summary>
    internal const uint KindPadding = 1;

    /// <summary>Payload bytes (for padding: the bytes of filler after this header).</summary>
    [FieldOffset(0)] public uint Length;

    /// <summary><see cref="KindData"/> or <see cref="KindPadding"/>.</summary>
    [FieldOffset(4)] public uint Kind;
}
