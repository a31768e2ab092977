namespace ReNESENS.DataPlane.Nvme;

/// <summary>NVMe/TCP PDU types (NVMe TCP Transport Specification, section 3.3).</summary>
internal enum PduType : byte
{
    /// <summary>Initialize Connection Request (host to controller).</summary>
    ICReq = 0x00,

    /// <summary>Initialize Connection Response (controller to host).</summary>
    ICResp = 0x01,

    /// <summary>Host to controller terminate connection request.</summary>
    H2CTermReq = 0x02,

    /// <summary>Controller to host terminate connection request.</summary>
    C2HTermReq = 0x03,

    /// <summary>Command capsule (host to controller).</summary>
    CapsuleCmd = 0x04,

    /// <summary>Response capsule (controller to host).</summary>
    CapsuleResp = 0x05,

    /// <summary>Host to controller data.</summary>
    H2CData = 0x06,

    /// <summary>Controller to host data.</summary>
    C2HData = 0x07,

    /// <summary>Ready to transfer (controller to host).</summary>
    R2T = 0x09,
}
