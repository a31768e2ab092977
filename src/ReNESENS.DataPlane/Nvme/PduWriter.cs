using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>Encodes PDUs into caller buffers: headers, header digests, padding up to PDO and data digests.</summary>
internal static class PduWriter
{
    /// <summary>Where data starts (PDO) for a PDU with data: after the header and its digest, rounded up to <paramref name="alignment"/>.</summary>
    public static int DataOffsetFor(int headerLength, bool headerDigest, int alignment)
    {
        int end = headerLength + (headerDigest ? 4 : 0);
        return (end + alignment - 1) / alignment * alignment;
    }

    /// <summary>Writes ICReq (128 bytes).</summary>
    public static int WriteICReq(Span<byte> destination, byte hostAlignment, bool headerDigest, bool dataDigest, uint maxR2T)
    {
        Span<byte> pdu = destination[..ICReqPdu.Size];
        pdu.Clear();
        ref ICReqPdu req = ref MemoryMarshal.AsRef<ICReqPdu>(pdu);
        req.Header = Common(PduType.ICReq, PduFlags.None, ICReqPdu.Size, 0, ICReqPdu.Size);
        req.HostDataAlignment = hostAlignment;
        req.Digests = Digests(headerDigest, dataDigest);
        req.MaxR2T = maxR2T;
        return ICReqPdu.Size;
    }

    /// <summary>Writes ICResp (128 bytes).</summary>
    public static int WriteICResp(Span<byte> destination, byte controllerAlignment, bool headerDigest, bool dataDigest, uint maxH2CData)
    {
        Span<byte> pdu = destination[..ICRespPdu.Size];
        pdu.Clear();
        ref ICRespPdu resp = ref MemoryMarshal.AsRef<ICRespPdu>(pdu);
        resp.Header = Common(PduType.ICResp, PduFlags.None, ICRespPdu.Size, 0, ICRespPdu.Size);
        resp.ControllerDataAlignment = controllerAlignment;
        resp.Digests = Digests(headerDigest, dataDigest);
        resp.MaxH2CData = maxH2CData;
        return ICRespPdu.Size;
    }

    /// <summary>Writes a CapsuleCmd header (and header digest, and padding) for <paramref name="dataLength"/> bytes of in-capsule data that the caller copies at the returned PDO.</summary>
    /// <returns>PDO (the header length with its digest when there is no data).</returns>
    public static int WriteCapsuleCommand(Span<byte> destination, in SubmissionQueueEntry sqe, bool headerDigest, bool dataDigest, int alignment, int dataLength)
    {
        const int hlen = PduCommonHeader.Size + SubmissionQueueEntry.Size;
        int hd = headerDigest ? 4 : 0;
        int pdo = dataLength > 0 ? DataOffsetFor(hlen, headerDigest, alignment) : 0;
        int dd = dataLength > 0 && dataDigest ? 4 : 0;
        int plen = dataLength > 0 ? pdo + dataLength + dd : hlen + hd;
        PduFlags flags = (headerDigest ? PduFlags.HeaderDigest : 0) | (dd != 0 ? PduFlags.DataDigest : 0);
        MemoryMarshal.Write(destination, Common(PduType.CapsuleCmd, flags, hlen, pdo, plen));
        MemoryMarshal.Write(destination[PduCommonHeader.Size..], sqe);
        int end = FinishHeader(destination, hlen, headerDigest);
        if (dataLength > 0)
        {
            destination[end..pdo].Clear();
            return pdo;
        }

        return end;
    }

    /// <summary>Writes a CapsuleResp (24 bytes, 28 with a header digest).</summary>
    public static int WriteCapsuleResponse(Span<byte> destination, in CompletionQueueEntry cqe, bool headerDigest)
    {
        const int hlen = PduCommonHeader.Size + CompletionQueueEntry.Size;
        MemoryMarshal.Write(destination, Common(PduType.CapsuleResp, headerDigest ? PduFlags.HeaderDigest : 0, hlen, 0, hlen + (headerDigest ? 4 : 0)));
        MemoryMarshal.Write(destination[PduCommonHeader.Size..], cqe);
        return FinishHeader(destination, hlen, headerDigest);
    }

    /// <summary>Writes an R2T.</summary>
    public static int WriteR2T(Span<byte> destination, ushort commandId, ushort transferTag, uint offset, uint length, bool headerDigest)
    {
        var pdu = new DataPduHeader
        {
            Header = Common(PduType.R2T, headerDigest ? PduFlags.HeaderDigest : 0, DataPduHeader.Size, 0, DataPduHeader.Size + (headerDigest ? 4 : 0)),
            CommandId = commandId,
            TransferTag = transferTag,
            Offset = offset,
            Length = length,
        };
        MemoryMarshal.Write(destination, pdu);
        return FinishHeader(destination, DataPduHeader.Size, headerDigest);
    }

    /// <summary>
    /// Writes the header (digest, padding) of an H2CData or C2HData PDU for <paramref name="length"/> bytes of data;
    /// the caller appends the data and, with data digests, its 4-byte digest.
    /// </summary>
    /// <returns>PDO: the number of bytes written before the data.</returns>
    public static int WriteDataHeader(Span<byte> destination, PduType type, PduFlags flags, ushort commandId, ushort transferTag, uint offset, int length, bool headerDigest, bool dataDigest, int alignment)
    {
        int pdo = DataOffsetFor(DataPduHeader.Size, headerDigest, alignment);
        int plen = pdo + length + (dataDigest ? 4 : 0);
        flags |= (headerDigest ? PduFlags.HeaderDigest : 0) | (dataDigest ? PduFlags.DataDigest : 0);
        var pdu = new DataPduHeader
        {
            Header = Common(type, flags, DataPduHeader.Size, pdo, plen),
            CommandId = commandId,
            TransferTag = transferTag,
            Offset = offset,
            Length = (uint)length,
        };
        MemoryMarshal.Write(destination, pdu);
        int end = FinishHeader(destination, DataPduHeader.Size, headerDigest);
        destination[end..pdo].Clear();
        return pdo;
    }

    /// <summary>Writes a TermReq carrying up to 128 bytes of the PDU header in error.</summary>
    public static int WriteTermReq(Span<byte> destination, PduType type, FatalErrorStatus status, uint information, ReadOnlySpan<byte> offendingHeader)
    {
        if (offendingHeader.Length > TermReqPdu.MaxErrorData)
        {
            offendingHeader = offendingHeader[..TermReqPdu.MaxErrorData];
        }

        int plen = TermReqPdu.Size + offendingHeader.Length;
        var pdu = new TermReqPdu
        {
            Header = Common(type, PduFlags.None, TermReqPdu.Size, 0, plen),
            Status = status,
            Information = information,
        };
        destination[..TermReqPdu.Size].Clear();
        MemoryMarshal.Write(destination, pdu);
        offendingHeader.CopyTo(destination[TermReqPdu.Size..]);
        return plen;
    }

    private static int FinishHeader(Span<byte> destination, int headerLength, bool headerDigest)
    {
        if (!headerDigest)
        {
            return headerLength;
        }

        PduDigest.Write(destination[..headerLength], destination.Slice(headerLength, 4));
        return headerLength + 4;
    }

    private static PduCommonHeader Common(PduType type, PduFlags flags, int hlen, int pdo, int plen) => new()
    {
        Type = type,
        Flags = flags,
        HeaderLength = (byte)hlen,
        DataOffset = (byte)pdo,
        PduLength = (uint)plen,
    };

    private static byte Digests(bool header, bool data) => (byte)((header ? 1 : 0) | (data ? 2 : 0));
}
