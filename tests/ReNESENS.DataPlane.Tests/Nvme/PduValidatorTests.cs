using System.Buffers.Binary;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

public class PduValidatorTests
{
    private static readonly PduRules Controller = new()
    {
        IsController = true,
        Initialized = true,
        HeaderDigest = false,
        DataDigest = false,
        DataAlignment = 4,
        MaxCapsuleOrC2HData = 8192,
        MaxH2CData = 32768,
    };

    private static readonly PduRules ControllerWithDigests = Controller with { HeaderDigest = true, DataDigest = true };

    public static TheoryData<byte[], bool, int, int> Cases => new()
    {
        // type, flags, hlen, pdo, plen ; digests? ; expected FES ; expected FEI
        { H(PduType.CapsuleCmd, 0, 72, 0, 72), false, 0, 0 },
        { H(PduType.CapsuleCmd, 0, 72, 72, 72 + 4096), false, 0, 0 },
        { H(PduType.CapsuleCmd, 3, 72, 76, 76 + 4096 + 4), true, 0, 0 },
        { H(PduType.H2CData, 4, 24, 24, 24 + 32768), false, 0, 0 },
        { H((PduType)0x42, 0, 24, 0, 24), false, 1, 0 },
        { H(PduType.C2HData, 0, 24, 24, 100), false, 1, 0 },
        { H(PduType.R2T, 0, 24, 0, 24), false, 1, 0 },
        { H(PduType.ICReq, 0, 128, 0, 128), false, 2, 0 },
        { H(PduType.CapsuleCmd, 0, 71, 0, 71), false, 1, 2 },
        { H(PduType.CapsuleCmd, 0, 72, 0, 80), false, 1, 4 },
        { H(PduType.CapsuleCmd, 0, 72, 70, 4000), false, 1, 3 },
        { H(PduType.CapsuleCmd, 0, 72, 74, 4000), false, 1, 3 },
        { H(PduType.CapsuleCmd, 0, 72, 72, 72), false, 1, 4 },
        { H(PduType.CapsuleCmd, 0, 72, 72, 72 + 8193), false, 1, 4 },
        { H(PduType.CapsuleCmd, 0, 72, 72, uint.MaxValue), false, 1, 4 },
        { H(PduType.CapsuleCmd, 1, 72, 0, 76), false, 1, 1 },
        { H(PduType.CapsuleCmd, 0, 72, 0, 72), true, 1, 1 },
        { H(PduType.CapsuleCmd, 1, 72, 72, 72 + 100 + 4), true, 1, 3 },
        { H(PduType.CapsuleCmd, 1, 72, 76, 76 + 100), true, 1, 1 },
        { H(PduType.CapsuleCmd, 0x04, 72, 0, 72), false, 1, 1 },
        { H(PduType.H2CData, 0x08, 24, 24, 100), false, 1, 1 },
        { H(PduType.H2CData, 0, 24, 0, 24), false, 1, 3 },
        { H(PduType.H2CData, 0, 24, 24, 24 + 32769), false, 5, 4 },
        { H(PduType.H2CTermReq, 0, 24, 0, 24 + 200), false, 1, 4 },
        { H(PduType.H2CTermReq, 1, 24, 0, 24), false, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_ReturnsTheSpecFatalErrorStatusAndFieldOffset(byte[] header, bool digests, int fes, int fei)
    {
        FatalErrorStatus status = PduValidator.Validate(PduValidator.ReadCommonHeader(header), digests ? ControllerWithDigests : Controller, out PduFrame frame, out uint info);
        Assert.Equal((FatalErrorStatus)fes, status);
        Assert.Equal((uint)fei, info);
        if (status == FatalErrorStatus.None)
        {
            Assert.Equal((int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)), frame.PduLength);
            Assert.Equal(frame.PduLength, frame.DataOffset + frame.DataLength + frame.DataDigestLength is var end && frame.DataLength > 0 ? end : frame.HeaderLength + frame.HeaderDigestLength);
        }
    }

    [Fact]
    public void BeforeInitialization_OnlyICReqIsAccepted()
    {
        PduRules rules = Controller with { Initialized = false };
        Assert.Equal(FatalErrorStatus.None, PduValidator.Validate(PduValidator.ReadCommonHeader(H(PduType.ICReq, 0, 128, 0, 128)), rules, out _, out _));
        Assert.Equal(FatalErrorStatus.PduSequenceError, PduValidator.Validate(PduValidator.ReadCommonHeader(H(PduType.CapsuleCmd, 0, 72, 0, 72)), rules, out _, out _));
        Assert.Equal(FatalErrorStatus.PduSequenceError, PduValidator.Validate(PduValidator.ReadCommonHeader(H(PduType.H2CData, 0, 24, 24, 100)), rules, out _, out _));
        Assert.Equal(FatalErrorStatus.InvalidHeaderField, PduValidator.Validate(PduValidator.ReadCommonHeader(H(PduType.ICReq, 0, 128, 0, 129)), rules, out _, out uint fei));
        Assert.Equal(4u, fei);
    }

    [Fact]
    public void HeaderDigest_IsCrc32COfTheHeader_RfcVector()
    {
        // RFC 3720 B.4: CRC32C of 32 bytes of zeros is 0x8A9136AA; a 32-byte buffer stands in for a header.
        byte[] pdu = new byte[36];
        PduDigest.Write(pdu.AsSpan(0, 32), pdu.AsSpan(32));
        Assert.Equal([0xAA, 0x36, 0x91, 0x8A], pdu[32..]);
    }

    [Fact]
    public void CapsuleResponse_WithDigest_VerifiesAndDetectsAFlippedBit()
    {
        byte[] pdu = new byte[28];
        var cqe = new CompletionQueueEntry { CommandId = 7 };
        Assert.Equal(28, PduWriter.WriteCapsuleResponse(pdu, cqe, headerDigest: true));
        PduRules host = new() { IsController = false, Initialized = true, HeaderDigest = true, DataAlignment = 4, MaxCapsuleOrC2HData = 4096 };
        Assert.Equal(FatalErrorStatus.None, PduValidator.Validate(PduValidator.ReadCommonHeader(pdu), host, out PduFrame frame, out _));
        Assert.True(PduValidator.HeaderDigestMatches(pdu, frame));
        pdu[20] ^= 0x10;
        Assert.False(PduValidator.HeaderDigestMatches(pdu, frame));
    }

    [Fact]
    public void DataHeader_PadsToTheAlignment()
    {
        byte[] pdu = new byte[256];
        int pdo = PduWriter.WriteDataHeader(pdu, PduType.C2HData, PduFlags.LastPdu, 1, 0, 0, 100, headerDigest: true, dataDigest: true, alignment: 32);
        Assert.Equal(32, pdo);
        Assert.Equal(32, pdu[3]);
        Assert.Equal(32 + 100 + 4, BinaryPrimitives.ReadInt32LittleEndian(pdu.AsSpan(4)));
        Assert.Equal(0x07, pdu[1]);
    }

    private static byte[] H(PduType type, byte flags, byte hlen, byte pdo, uint plen)
    {
        byte[] header = new byte[8];
        header[0] = (byte)type;
        header[1] = flags;
        header[2] = hlen;
        header[3] = pdo;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), plen);
        return header;
    }
}
