namespace ReNESENS.DataPlane.Nvme;

/// <summary>Bits of the common header's FLAGS byte.</summary>
[Flags]
internal enum PduFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>HDGSTF: a header digest follows the PDU header.</summary>
    HeaderDigest = 0x01,

    /// <summary>DDGSTF: a data digest follows the PDU data.</summary>
    DataDigest = 0x02,

    /// <summary>LAST_PDU: the last data PDU of a transfer (H2CData, C2HData).</summary>
    LastPdu = 0x04,

    /// <summary>SUCCESS: the command completed successfully, no response capsule follows (C2HData, with LAST_PDU).</summary>
    Success = 0x08,
}
