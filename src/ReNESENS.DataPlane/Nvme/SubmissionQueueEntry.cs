using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The 64-byte NVMe submission queue entry carried in a command capsule (NVMe base 2.0, figure
/// "Common Command Format"; fabrics commands put FCTYPE at byte 4 instead of NSID).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct SubmissionQueueEntry
{
    /// <summary>Size in bytes.</summary>
    public const int Size = 64;

    /// <summary>SGL identifier of an in-capsule data block (type 0h Data Block, subtype 1h Offset).</summary>
    public const byte SglInCapsule = 0x01;

    /// <summary>SGL identifier of a transport data block (type 5h Transport Data Block, subtype Ah Transport specific).</summary>
    public const byte SglTransport = 0x5A;

    /// <summary>OPC.</summary>
    [FieldOffset(0)] public byte Opcode;

    /// <summary>FUSE (bits 1:0) and PSDT (bits 7:6).</summary>
    [FieldOffset(1)] public byte Flags;

    /// <summary>CID.</summary>
    [FieldOffset(2)] public ushort CommandId;

    /// <summary>NSID (FCTYPE in its low byte for fabrics commands).</summary>
    [FieldOffset(4)] public uint NamespaceId;

    /// <summary>FCTYPE of a fabrics command (opcode 7Fh).</summary>
    [FieldOffset(4)] public byte FabricsType;

    /// <summary>CDW2.</summary>
    [FieldOffset(8)] public uint Dword2;

    /// <summary>CDW3.</summary>
    [FieldOffset(12)] public uint Dword3;

    /// <summary>MPTR.</summary>
    [FieldOffset(16)] public ulong MetadataPointer;

    /// <summary>SGL1 address (offset for in-capsule data).</summary>
    [FieldOffset(24)] public ulong SglAddress;

    /// <summary>SGL1 length.</summary>
    [FieldOffset(32)] public uint SglLength;

    /// <summary>SGL1 identifier (type in bits 7:4, subtype in bits 3:0).</summary>
    [FieldOffset(39)] public byte SglIdentifier;

    /// <summary>CDW10.</summary>
    [FieldOffset(40)] public uint Dword10;

    /// <summary>CDW11.</summary>
    [FieldOffset(44)] public uint Dword11;

    /// <summary>CDW12.</summary>
    [FieldOffset(48)] public uint Dword12;

    /// <summary>CDW13.</summary>
    [FieldOffset(52)] public uint Dword13;

    /// <summary>CDW14.</summary>
    [FieldOffset(56)] public uint Dword14;

    /// <summary>CDW15.</summary>
    [FieldOffset(60)] public uint Dword15;

    /// <summary>CDW10..11 as one 64-bit value (SLBA of read/write, VALUE of Property Set is at 48).</summary>
    [FieldOffset(40)] public ulong Dword10And11;

    /// <summary>CDW12..13 as one 64-bit value (Property Set VALUE).</summary>
    [FieldOffset(48)] public ulong Dword12And13;
}
