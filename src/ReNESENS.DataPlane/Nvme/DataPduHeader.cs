using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The 24-byte header shared in layout by H2CData, C2HData and R2T: CCCID at 8, TTAG at 10
/// (reserved in C2HData), offset (DATAO/R2TO) at 12, length (DATAL/R2TL) at 16, reserved 20..23.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct DataPduHeader
{
    /// <summary>Size in bytes (HLEN).</summary>
    public const int Size = 24;

    /// <summary>Byte offset of CCCID.</summary>
    public const int CommandIdOffset = 8;

    /// <summary>Byte offset of TTAG.</summary>
    public const int TransferTagOffset = 10;

    /// <summary>Byte offset of DATAO.</summary>
    public const int DataOffsetOffset = 12;

    /// <summary>Byte offset of DATAL.</summary>
    public const int DataLengthOffset = 16;

    /// <summary>Common header.</summary>
    [FieldOffset(0)] public PduCommonHeader Header;

    /// <summary>CCCID: the command identifier of the capsule this data belongs to.</summary>
    [FieldOffset(8)] public ushort CommandId;

    /// <summary>TTAG: transfer tag chosen by the controller in its R2T (H2CData, R2T).</summary>
    [FieldOffset(10)] public ushort TransferTag;

    /// <summary>DATAO / R2TO: offset of this data in the command's whole transfer.</summary>
    [FieldOffset(12)] public uint Offset;

    /// <summary>DATAL / R2TL: length of this data.</summary>
    [FieldOffset(16)] public uint Length;

    /// <summary>Reserved, bytes 20..23.</summary>
    [FieldOffset(20)] public uint Reserved20;
}
