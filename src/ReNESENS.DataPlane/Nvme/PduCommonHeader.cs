using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>The 8-byte common header that starts every NVMe/TCP PDU (TCP transport, figure "PDU Common Header").</summary>
/// <remarks>Fields are little-endian on the wire; the library runs on little-endian x86-64 and arm64 only.</remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct PduCommonHeader
{
    /// <summary>Size in bytes.</summary>
    public const int Size = 8;

    /// <summary>Byte offset of FLAGS (reported in FEI).</summary>
    public const int FlagsOffset = 1;

    /// <summary>Byte offset of HLEN.</summary>
    public const int HlenOffset = 2;

    /// <summary>Byte offset of PDO.</summary>
    public const int PdoOffset = 3;

    /// <summary>Byte offset of PLEN.</summary>
    public const int PlenOffset = 4;

    /// <summary>PDU-Type.</summary>
    [FieldOffset(0)] public PduType Type;

    /// <summary>FLAGS.</summary>
    [FieldOffset(1)] public PduFlags Flags;

    /// <summary>HLEN: PDU header length in bytes, without the header digest.</summary>
    [FieldOffset(2)] public byte HeaderLength;

    /// <summary>PDO: offset of the PDU data from the start of the PDU, 0 when there is no data.</summary>
    [FieldOffset(3)] public byte DataOffset;

    /// <summary>PLEN: total PDU length in bytes, digests and padding included.</summary>
    [FieldOffset(4)] public uint PduLength;
}
