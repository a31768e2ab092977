using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>ICResp: Initialize Connection Response, 128 bytes, no data.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct ICRespPdu
{
    /// <summary>Size in bytes (HLEN and PLEN).</summary>
    public const int Size = 128;

    /// <summary>Common header.</summary>
    [FieldOffset(0)] public PduCommonHeader Header;

    /// <summary>PFV: PDU format version, 0.</summary>
    [FieldOffset(8)] public ushort FormatVersion;

    /// <summary>CPDA: controller PDU data alignment for H2C data, in dwords, 0's based.</summary>
    [FieldOffset(10)] public byte ControllerDataAlignment;

    /// <summary>DGST: bit 0 header digest enabled, bit 1 data digest enabled.</summary>
    [FieldOffset(11)] public byte Digests;

    /// <summary>MAXH2CDATA: largest H2CData payload the controller accepts, at least 4096.</summary>
    [FieldOffset(12)] public uint MaxH2CData;
}
