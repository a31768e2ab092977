namespace ReNESENS.DataPlane.Nvme;

/// <summary>Fatal Error Status (FES) values of H2CTermReq/C2HTermReq (TCP transport, section 3.6.2.3/4).</summary>
internal enum FatalErrorStatus : ushort
{
    /// <summary>Not a failure: the PDU is valid.</summary>
    None = 0x00,

    /// <summary>Invalid PDU header field; FEI holds the byte offset of the field.</summary>
    InvalidHeaderField = 0x01,

    /// <summary>A PDU arrived in a state where it is not allowed.</summary>
    PduSequenceError = 0x02,

    /// <summary>The header digest did not match.</summary>
    HeaderDigestError = 0x03,

    /// <summary>Data outside the range the R2T (or the command) allows.</summary>
    DataTransferOutOfRange = 0x04,

    /// <summary>More outstanding R2Ts or data than the negotiated limit.</summary>
    DataTransferLimitExceeded = 0x05,

    /// <summary>A parameter value is not supported; FEI holds the byte offset of the field.</summary>
    UnsupportedParameter = 0x06,
}
