using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// Checks a received PDU's common header against the connection's <see cref="PduRules"/> before
/// anything of the PDU beyond its first 8 bytes is buffered, and then the type-specific fields
/// that depend on the whole header. Every failure names the fatal error status (FES) and the
/// byte offset of the field (FEI) a TermReq must carry.
/// </summary>
internal static class PduValidator
{
    /// <summary>Largest PLEN of a TermReq: its 24-byte header and up to 128 bytes of the PDU in error.</summary>
    public const int MaxTermReqLength = TermReqPdu.Size + TermReqPdu.MaxErrorData;

    /// <summary>The HLEN the specification fixes for a PDU type.</summary>
    public static int HeaderLengthOf(PduType type) => type switch
    {
        PduType.ICReq or PduType.ICResp => ICReqPdu.Size,
        PduType.CapsuleCmd => PduCommonHeader.Size + SubmissionQueueEntry.Size,
        PduType.CapsuleResp => PduCommonHeader.Size + CompletionQueueEntry.Size,
        _ => DataPduHeader.Size,
    };

    /// <summary>Reads the 8-byte common header (the caller has at least 8 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PduCommonHeader ReadCommonHeader(ReadOnlySpan<byte> source) => MemoryMarshal.Read<PduCommonHeader>(source);

    /// <summary>Checks a common header; on success <paramref name="frame"/> says how many bytes the whole PDU takes.</summary>
    /// <returns><see cref="FatalErrorStatus.None"/> or the FES for the TermReq, with the field offset in <paramref name="fei"/>.</returns>
    public static FatalErrorStatus Validate(PduCommonHeader header, in PduRules rules, out PduFrame frame, out uint fei)
    {
        frame = default;
        fei = 0;
        PduType type = header.Type;
        if (!IsReceivable(type, rules.IsController))
        {
            return FatalErrorStatus.InvalidHeaderField;
        }

        bool isTerm = type is PduType.H2CTermReq or PduType.C2HTermReq;
        bool isIc = type is PduType.ICReq or PduType.ICResp;
        if (!isTerm && isIc == rules.Initialized)
        {
            return FatalErrorStatus.PduSequenceError;
        }

        int hlen = HeaderLengthOf(type);
        if (header.HeaderLength != hlen)
        {
            fei = PduCommonHeader.HlenOffset;
            return FatalErrorStatus.InvalidHeaderField;
        }

        long plen = header.PduLength;
        if (isIc || isTerm)
        {
            // No digests, no data offset; ICReq is exactly 128 bytes, a TermReq 24..152.
            if ((header.Flags & (PduFlags.HeaderDigest | PduFlags.DataDigest)) != 0)
            {
                fei = PduCommonHeader.FlagsOffset;
                return FatalErrorStatus.InvalidHeaderField;
            }

            if (isIc ? plen != hlen : plen < hlen || plen > MaxTermReqLength)
            {
                fei = PduCommonHeader.PlenOffset;
                return FatalErrorStatus.InvalidHeaderField;
            }

            if (isIc && header.DataOffset != 0)
            {
                fei = PduCommonHeader.PdoOffset;
                return FatalErrorStatus.InvalidHeaderField;
            }

            frame = new PduFrame(type, header.Flags, hlen, 0, isTerm ? hlen : 0, (int)plen - hlen, 0, (int)plen);
            return FatalErrorStatus.None;
        }

        bool hasHdgst = (header.Flags & PduFlags.HeaderDigest) != 0;
        bool hasDdgst = (header.Flags & PduFlags.DataDigest) != 0;
        if (hasHdgst != rules.HeaderDigest || (hasDdgst && !rules.DataDigest) || !FlagsAllowed(type, header.Flags))
        {
            fei = PduCommonHeader.FlagsOffset;
            return FatalErrorStatus.InvalidHeaderField;
        }

        int hd = rules.HeaderDigestLength;
        int pdo = header.DataOffset;
        bool carriesData = type is PduType.CapsuleCmd or PduType.H2CData or PduType.C2HData;
        if (pdo == 0 || !carriesData)
        {
            // No data: PDO 0, no data digest, PLEN is the header and its digest.
            if (pdo != 0 || type is PduType.H2CData or PduType.C2HData)
            {
                fei = PduCommonHeader.PdoOffset;
                return FatalErrorStatus.InvalidHeaderField;
            }

            if (hasDdgst)
            {
                fei = PduCommonHeader.FlagsOffset;
                return FatalErrorStatus.InvalidHeaderField;
            }

            if (plen != hlen + hd)
            {
                fei = PduCommonHeader.PlenOffset;
                return FatalErrorStatus.InvalidHeaderField;
            }

            frame = new PduFrame(type, header.Flags, hlen, hd, 0, 0, 0, (int)plen);
            return FatalErrorStatus.None;
        }

        if (pdo < hlen + hd || pdo % rules.DataAlignment != 0 || pdo > plen)
        {
            fei = PduCommonHeader.PdoOffset;
            return FatalErrorStatus.InvalidHeaderField;
        }

        if (hasDdgst != rules.DataDigest)
        {
            fei = PduCommonHeader.FlagsOffset;
            return FatalErrorStatus.InvalidHeaderField;
        }

        int dd = rules.DataDigestLength;
        long dataLength = plen - pdo - dd;
        if (dataLength <= 0)
        {
            fei = PduCommonHeader.PlenOffset;
            return FatalErrorStatus.InvalidHeaderField;
        }

        long limit = type == PduType.H2CData ? rules.MaxH2CData : rules.MaxCapsuleOrC2HData;
        if (dataLength > limit)
        {
            fei = PduCommonHeader.PlenOffset;
            return type == PduType.H2CData ? FatalErrorStatus.DataTransferLimitExceeded : FatalErrorStatus.InvalidHeaderField;
        }

        frame = new PduFrame(type, header.Flags, hlen, hd, pdo, (int)dataLength, dd, (int)plen);
        return FatalErrorStatus.None;
    }

    /// <summary>Checks the header digest of a PDU whose header (and digest) are in <paramref name="pdu"/>.</summary>
    public static bool HeaderDigestMatches(ReadOnlySpan<byte> pdu, in PduFrame frame)
        => frame.HeaderDigestLength == 0
            || PduDigest.Compute(pdu[..frame.HeaderLength]) == PduDigest.Read(pdu.Slice(frame.HeaderLength, 4));

    /// <summary>Checks that a data PDU's DATAL agrees with the data its PLEN and PDO carry.</summary>
    public static FatalErrorStatus ValidateDataLength(in DataPduHeader header, in PduFrame frame, out uint fei)
    {
        fei = 0;
        if (header.Length != (uint)frame.DataLength)
        {
            fei = DataPduHeader.DataLengthOffset;
            return FatalErrorStatus.InvalidHeaderField;
        }

        return FatalErrorStatus.None;
    }

    private static bool IsReceivable(PduType type, bool isController) => isController
        ? type is PduType.ICReq or PduType.H2CTermReq or PduType.CapsuleCmd or PduType.H2CData
        : type is PduType.ICResp or PduType.C2HTermReq or PduType.CapsuleResp or PduType.C2HData or PduType.R2T;

    private static bool FlagsAllowed(PduType type, PduFlags flags)
    {
        PduFlags allowed = type switch
        {
            PduType.H2CData => PduFlags.HeaderDigest | PduFlags.DataDigest | PduFlags.LastPdu,
            PduType.C2HData => PduFlags.HeaderDigest | PduFlags.DataDigest | PduFlags.LastPdu | PduFlags.Success,
            _ => PduFlags.HeaderDigest | PduFlags.DataDigest,
        };
        if ((flags & ~allowed) != 0)
        {
            return false;
        }

        // SUCCESS only on the last C2HData PDU.
        return (flags & PduFlags.Success) == 0 || (flags & PduFlags.LastPdu) != 0;
    }
}
