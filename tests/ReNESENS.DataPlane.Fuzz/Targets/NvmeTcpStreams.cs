using System.Text;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>Valid host streams for <see cref="NvmeTcpFuzzTarget"/>: its I/O-mode prelude and the seeds.</summary>
public static class NvmeTcpStreams
{
    /// <summary>The subsystem NQN of the fuzz target's core.</summary>
    public const string Nqn = "nqn.2026-11.io.renesens:fuzz";

    /// <summary>ICReq, Connect (admin), CC.EN, Number of Queues (2): controller 1, ready for I/O queues.</summary>
    public static byte[] AdminPrelude() => [.. ICReq(false), .. ConnectCapsule(1, 0, 0xFFFF, false), .. EnableCapsule(2, false), .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.SetFeatures, CommandId = 3, Dword10 = NvmeOpcodes.FeatureNumberOfQueues, Dword11 = 0x00010001 }, [], false)];

    /// <summary>An admin session: Connect, enable, Identify, SMART log, Keep Alive, AER.</summary>
    public static byte[] Admin(bool digests) =>
    [
        .. ICReq(digests),
        .. ConnectCapsule(1, 0, 0xFFFF, digests),
        .. EnableCapsule(2, digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Identify, CommandId = 3, Dword10 = 1, SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 4096 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.GetLogPage, CommandId = 4, Dword10 = 0x02 | (127u << 16), SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 512 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.KeepAlive, CommandId = 5 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.AsyncEventRequest, CommandId = 6 }, [], digests),
    ];

    /// <summary>An admin session that asks for Namespace Attribute notices, holds two AERs and reads the Changed Namespace List (with and without RAE).</summary>
    public static byte[] AdminEvents(bool digests) =>
    [
        .. ICReq(digests),
        .. ConnectCapsule(1, 0, 0xFFFF, digests),
        .. EnableCapsule(2, digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.SetFeatures, CommandId = 3, Dword10 = NvmeOpcodes.FeatureAsyncEventConfig, Dword11 = 1u << 8 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.AsyncEventRequest, CommandId = 4 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.AsyncEventRequest, CommandId = 5 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Identify, CommandId = 6, Dword10 = 2, SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 4096 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.GetLogPage, CommandId = 7, Dword10 = NvmeOpcodes.LogChangedNamespaces | (1u << 15) | (1023u << 16), SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 4096 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.KeepAlive, CommandId = 8 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.GetLogPage, CommandId = 9, Dword10 = NvmeOpcodes.LogChangedNamespaces | (1023u << 16), SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 4096 }, [], digests),
        .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Identify, CommandId = 10, NamespaceId = 2, SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 4096 }, [], digests),
    ];

    /// <summary>An I/O queue of controller 1 (after <see cref="AdminPrelude"/>): writes in the capsule and on an R2T, read, flush, write zeroes, deallocate.</summary>
    public static byte[] Io(bool digests)
    {
        byte[] block = new byte[1024];
        block.AsSpan().Fill(0xA5);
        byte[] range = new byte[16];
        range[4] = 2;
        return
        [
            .. ICReq(digests),
            .. ConnectCapsule(1, 1, 1, digests),
            .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Write, CommandId = 2, NamespaceId = 1, Dword12 = 1, SglIdentifier = SubmissionQueueEntry.SglInCapsule, SglLength = 1024 }, block, digests),
            .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Read, CommandId = 3, NamespaceId = 1, Dword12 = 1, SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 1024 }, [], digests),
            .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Write, CommandId = 4, NamespaceId = 1, Dword10 = 8, Dword12 = 1, SglIdentifier = SubmissionQueueEntry.SglTransport, SglLength = 1024 }, [], digests),
            .. H2C(4, 0, 0, block[..512], last: false, digests),
            .. H2C(4, 0, 512, block[512..], last: true, digests),
            .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Flush, CommandId = 5, NamespaceId = 1 }, [], digests),
            .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.WriteZeroes, CommandId = 6, NamespaceId = 1, Dword10 = 4, Dword12 = 3 }, [], digests),
            .. Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.DatasetManagement, CommandId = 7, NamespaceId = 1, Dword11 = 4, SglIdentifier = SubmissionQueueEntry.SglInCapsule, SglLength = 16 }, range, digests),
        ];
    }

    private static byte[] ICReq(bool digests)
    {
        byte[] pdu = new byte[ICReqPdu.Size];
        PduWriter.WriteICReq(pdu, 0, digests, digests, 0);
        return pdu;
    }

    private static byte[] ConnectCapsule(ushort cid, ushort qid, ushort controllerId, bool digests)
    {
        byte[] data = new byte[1024];
        BitConverter.TryWriteBytes(data.AsSpan(16), controllerId);
        Encoding.ASCII.GetBytes(Nqn, data.AsSpan(256));
        Encoding.ASCII.GetBytes("nqn.2014-08.org.example:fuzz", data.AsSpan(512));
        var sqe = new SubmissionQueueEntry
        {
            Opcode = NvmeOpcodes.Fabrics,
            FabricsType = NvmeOpcodes.Connect,
            CommandId = cid,
            Dword10 = (uint)qid << 16,
            Dword11 = 7 | (qid != 0 ? 0x04u << 16 : 0),
            SglIdentifier = SubmissionQueueEntry.SglInCapsule,
            SglLength = 1024,
        };
        return Capsule(sqe, data, digests);
    }

    private static byte[] EnableCapsule(ushort cid, bool digests)
        => Capsule(new SubmissionQueueEntry { Opcode = NvmeOpcodes.Fabrics, FabricsType = NvmeOpcodes.PropertySet, CommandId = cid, Dword11 = NvmeOpcodes.PropertyCc, Dword12And13 = 0x00460001 }, [], digests);

    private static byte[] Capsule(SubmissionQueueEntry sqe, byte[] data, bool digests)
    {
        byte[] pdu = new byte[256 + data.Length];
        int pdo = PduWriter.WriteCapsuleCommand(pdu, sqe, digests, digests, 4, data.Length);
        int length = pdo;
        if (data.Length > 0)
        {
            data.CopyTo(pdu, pdo);
            length += data.Length;
            if (digests)
            {
                PduDigest.Write(data, pdu.AsSpan(length, 4));
                length += 4;
            }
        }

        return pdu[..length];
    }

    private static byte[] H2C(ushort cid, ushort ttag, uint offset, byte[] data, bool last, bool digests)
    {
        byte[] pdu = new byte[64 + data.Length];
        int pdo = PduWriter.WriteDataHeader(pdu, PduType.H2CData, last ? PduFlags.LastPdu : PduFlags.None, cid, ttag, offset, data.Length, digests, digests, 4);
        data.CopyTo(pdu, pdo);
        int length = pdo + data.Length;
        if (digests)
        {
            PduDigest.Write(data, pdu.AsSpan(length, 4));
            length += 4;
        }

        return pdu[..length];
    }
}
