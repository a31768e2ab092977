namespace ReNESENS.DataPlane.Nvme;

/// <summary>What the receiving side of a connection accepts: its role, the negotiated digests, alignment and data limits.</summary>
internal struct PduRules
{
    /// <summary>True on the controller (target) side: it receives host-to-controller PDUs.</summary>
    public bool IsController;

    /// <summary>True once ICReq/ICResp have been exchanged.</summary>
    public bool Initialized;

    /// <summary>Header digests negotiated.</summary>
    public bool HeaderDigest;

    /// <summary>Data digests negotiated.</summary>
    public bool DataDigest;

    /// <summary>Alignment in bytes of PDU data this side receives: (CPDA+1)*4 on the controller, (HPDA+1)*4 on the host.</summary>
    public int DataAlignment;

    /// <summary>Largest in-capsule data (controller) or C2HData payload (host) accepted.</summary>
    public int MaxCapsuleOrC2HData;

    /// <summary>MAXH2CDATA: largest H2CData payload the controller accepts.</summary>
    public int MaxH2CData;

    /// <summary>The header digest length in bytes for PDUs that carry one.</summary>
    public readonly int HeaderDigestLength => HeaderDigest ? 4 : 0;

    /// <summary>The data digest length in bytes for PDUs that carry data.</summary>
    public readonly int DataDigestLength => DataDigest ? 4 : 0;
}
