using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>Sizes and field offsets of the wire structs against the NVMe/TCP transport and NVMe base specifications.</summary>
public class PduLayoutTests
{
    [Fact]
    public void Sizes_MatchTheSpecification()
    {
        Assert.Equal(8, Unsafe.SizeOf<PduCommonHeader>());
        Assert.Equal(128, Unsafe.SizeOf<ICReqPdu>());
        Assert.Equal(128, Unsafe.SizeOf<ICRespPdu>());
        Assert.Equal(24, Unsafe.SizeOf<DataPduHeader>());
        Assert.Equal(24, Unsafe.SizeOf<TermReqPdu>());
        Assert.Equal(64, Unsafe.SizeOf<SubmissionQueueEntry>());
        Assert.Equal(16, Unsafe.SizeOf<CompletionQueueEntry>());
    }

    [Fact]
    public void CommonHeader_FieldsAtSpecOffsets()
    {
        var header = new PduCommonHeader { Type = PduType.C2HData, Flags = PduFlags.LastPdu | PduFlags.Success, HeaderLength = 24, DataOffset = 28, PduLength = 0x01020304 };
        byte[] bytes = Bytes(header);
        Assert.Equal([0x07, 0x0C, 24, 28, 0x04, 0x03, 0x02, 0x01], bytes);
    }

    [Fact]
    public void ICReq_FieldsAtSpecOffsets()
    {
        var req = new ICReqPdu { FormatVersion = 0x0102, HostDataAlignment = 3, Digests = 3, MaxR2T = 0x0A0B0C0D };
        byte[] b = Bytes(req);
        Assert.Equal(0x02, b[8]);
        Assert.Equal(0x01, b[9]);
        Assert.Equal(3, b[10]);
        Assert.Equal(3, b[11]);
        Assert.Equal(0x0D, b[12]);
        Assert.Equal(0x0A, b[15]);
        var resp = new ICRespPdu { ControllerDataAlignment = 5, Digests = 1, MaxH2CData = 0x00020000 };
        b = Bytes(resp);
        Assert.Equal(5, b[10]);
        Assert.Equal(1, b[11]);
        Assert.Equal(0x02, b[14]);
    }

    [Fact]
    public void DataPdu_FieldsAtSpecOffsets()
    {
        var pdu = new DataPduHeader { CommandId = 0x1122, TransferTag = 0x3344, Offset = 0x55667788, Length = 0x99AABBCC };
        byte[] b = Bytes(pdu);
        Assert.Equal([0x22, 0x11, 0x44, 0x33, 0x88, 0x77, 0x66, 0x55, 0xCC, 0xBB, 0xAA, 0x99], b[8..20]);
        var term = new TermReqPdu { Status = FatalErrorStatus.DataTransferOutOfRange, Information = 0x01020304 };
        b = Bytes(term);
        Assert.Equal([0x04, 0x00, 0x04, 0x03, 0x02, 0x01], b[8..14]);
    }

    [Fact]
    public void Sqe_FieldsAtSpecOffsets()
    {
        var sqe = new SubmissionQueueEntry
        {
            Opcode = 0x02,
            Flags = 0x40,
            CommandId = 0xBEEF,
            NamespaceId = 0x01020304,
            SglAddress = 0x1112131415161718,
            SglLength = 0x21222324,
            SglIdentifier = SubmissionQueueEntry.SglTransport,
            Dword10 = 0x31323334,
            Dword15 = 0x41424344,
        };
        byte[] b = Bytes(sqe);
        Assert.Equal(0x02, b[0]);
        Assert.Equal(0x40, b[1]);
        Assert.Equal([0xEF, 0xBE], b[2..4]);
        Assert.Equal([0x04, 0x03, 0x02, 0x01], b[4..8]);
        Assert.Equal(0x18, b[24]);
        Assert.Equal(0x11, b[31]);
        Assert.Equal([0x24, 0x23, 0x22, 0x21], b[32..36]);
        Assert.Equal(0x5A, b[39]);
        Assert.Equal(0x34, b[40]);
        Assert.Equal(0x44, b[60]);
        Assert.Equal(0x01020304u & 0xFF, MemoryMarshal.Read<SubmissionQueueEntry>(b).FabricsType);
    }

    [Fact]
    public void Cqe_FieldsAtSpecOffsets()
    {
        var cqe = new CompletionQueueEntry { Dword0 = 0x01020304, Dword1 = 0x05060708, SubmissionQueueHead = 0x090A, SubmissionQueueId = 0x0B0C, CommandId = 0x0D0E, Status = NvmeStatus.ToCqe(NvmeStatus.LbaOutOfRange | NvmeStatus.DoNotRetry) };
        byte[] b = Bytes(cqe);
        Assert.Equal([0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x0A, 0x09, 0x0C, 0x0B, 0x0E, 0x0D], b[..14]);

        // Status field: phase in bit 0, SC 80h in bits 8:1, DNR in bit 15.
        Assert.Equal(0x8100, BitConverter.ToUInt16(b, 14));
    }

    private static byte[] Bytes<T>(T value)
        where T : unmanaged
    {
        byte[] bytes = new byte[Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(bytes, value);
        return bytes;
    }
}
