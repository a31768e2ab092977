using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>ICReq: Initialize Connection Request, 128 bytes, no data.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct ICReqPdu
{
    /// <summary>Size in bytes (HLEN and PLEN).</summary>
    public const int Size = 128;

    /// <summary>Common header.</summary>
    [FieldOffset(0)] public PduCommonHeader Header;

    /// <summary>PFV: PDU format version, 0.</summary>
    [FieldOffset(8)] public ushort FormatVersion;

    /// <summary>HPDA: host PDU data alignment for C2H data, in dwords, 0's based (0..31).</summary>
    [FieldOffset(10)] public byte HostDataAlignment;

    /// <summary>DGST: bit 0 header digest enable, bit 1 data digest enable.</summary>
    [FieldOffset(11)] public byte Digests;

    /// <summary>MAXR2T: maximum outstanding R2Ts per command, 0's based.</summary>
    [FieldOffset(12)] public uint MaxR2T;
}
