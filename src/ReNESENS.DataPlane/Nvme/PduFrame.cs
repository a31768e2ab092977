namespace ReNESENS.DataPlane.Nvme;

/// <summary>The checked shape of one received PDU: where its header, digests and data are.</summary>
internal readonly struct PduFrame
{
    /// <summary>Creates a frame.</summary>
    public PduFrame(PduType type, PduFlags flags, int headerLength, int headerDigestLength, int dataOffset, int dataLength, int dataDigestLength, int pduLength)
    {
        Type = type;
        Flags = flags;
        HeaderLength = headerLength;
        HeaderDigestLength = headerDigestLength;
        DataOffset = dataOffset;
        DataLength = dataLength;
        DataDigestLength = dataDigestLength;
        PduLength = pduLength;
    }

    /// <summary>PDU type.</summary>
    public PduType Type { get; }

    /// <summary>Flags.</summary>
    public PduFlags Flags { get; }

    /// <summary>HLEN.</summary>
    public int HeaderLength { get; }

    /// <summary>0 or 4.</summary>
    public int HeaderDigestLength { get; }

    /// <summary>PDO (0 without data).</summary>
    public int DataOffset { get; }

    /// <summary>Data length in bytes.</summary>
    public int DataLength { get; }

    /// <summary>0 or 4.</summary>
    public int DataDigestLength { get; }

    /// <summary>PLEN.</summary>
    public int PduLength { get; }
}
