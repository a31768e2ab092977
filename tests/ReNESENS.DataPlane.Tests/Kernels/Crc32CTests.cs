using System.IO.Hashing;
using System.Runtime.Intrinsics.X86;
using System.Text;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class Crc32CTests
{
    public delegate uint UpdatePath(uint register, ReadOnlySpan<byte> source);

    private static readonly Dictionary<string, (UpdatePath Update, bool Supported)> s_paths = new()
    {
        ["Dispatch"] = (Crc32C.Update, true),
        ["Scalar"] = (Crc32C.UpdateScalar, true),
        ["Sse42"] = (Crc32C.UpdateSse42, Sse42.X64.IsSupported),
        ["Pclmul"] = (Crc32C.UpdatePclmul, CrcFolding.IsPclmulSupported),
        ["Vector512"] = (Crc32C.UpdateVector512, CrcFolding.IsVector512Supported),
    };

    public static TheoryData<string, int> PathsAndLengths() => CrcReference.EveryLength(s_paths.Keys);

    [Fact]
    public void CheckValue() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    // RFC 3720 appendix B.4; the RFC lists the CRC bytes in wire (little-endian) order.
    [Theory]
    [InlineData("zeros", 0x8A9136AAu)]
    [InlineData("ones", 0x62A8AB43u)]
    [InlineData("incrementing", 0x46DD794Eu)]
    [InlineData("decrementing", 0x113FDB5Cu)]
    public void Rfc3720Vectors(string kind, uint expected)
    {
        byte[] data = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            data[i] = kind switch
            {
                "zeros" => 0,
                "ones" => 0xFF,
                "incrementing" => (byte)i,
                _ => (byte)(31 - i),
            };
        }

        Assert.Equal(expected, Crc32C.Compute(data));
        foreach ((string name, (UpdatePath update, bool supported)) in s_paths)
        {
            if (supported)
            {
                Assert.True(expected == ~update(uint.MaxValue, data), name);
            }
        }
    }

    [Fact]
    public void Rfc3720ReadPduVector()
    {
        // RFC 3720 B.4 "An iSCSI - SCSI Read (10) Command PDU": CRC bytes "56 3a 96 d9" in wire
        // (little-endian) order, as for the other B.4 vectors.
        byte[] pdu =
        [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        Assert.Equal(0xD9963A56u, Crc32C.Compute(pdu));
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void PathAgreesWithReferences(string path, int length)
    {
        (UpdatePath update, bool supported) = s_paths[path];
        if (!supported)
        {
            return; // this CPU lacks the instructions; the path cannot be called here
        }

        byte[] data = CrcReference.RandomBytes(length, length);
        uint expected = CrcReference.Crc32C(data);
        Assert.Equal(expected, Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data));
        Assert.Equal(expected, ~update(uint.MaxValue, data));

        // Unaligned starts.
        byte[] padded = new byte[length + 15];
        for (int offset = 1; offset < 16; offset += 7)
        {
            data.CopyTo(padded, offset);
            Assert.Equal(expected, ~update(uint.MaxValue, padded.AsSpan(offset, length)));
        }
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(65537)]
    public void AppendInPiecesEqualsCompute(int length)
    {
        byte[] data = CrcReference.RandomBytes(length, 7);
        uint whole = Crc32C.Compute(data);
        Assert.Equal(whole, Crc32C.Append(0, data));
        foreach (int split in new[] { 0, 1, 15, 16, 17, 255, 256, 300, length / 2, length - 1, length })
        {
            uint crc = Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split));
            Assert.Equal(whole, crc);
        }

        uint pieces = 0;
        for (int offset = 0; offset < length; offset += 97)
        {
            pieces = Crc32C.Append(pieces, data.AsSpan(offset, Math.Min(97, length - offset)));
        }

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void EmptyIsZero()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0x12345678u, Crc32C.Append(0x12345678, []));
        Assert.Equal(Crc32C.Compute(Encoding.ASCII.GetBytes("a")), Crc32C.Append(0, "a"u8));
    }
}
