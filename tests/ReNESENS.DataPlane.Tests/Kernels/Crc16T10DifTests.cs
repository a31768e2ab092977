using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class Crc16T10DifTests
{
    public delegate ushort UpdatePath(ushort register, ReadOnlySpan<byte> source);

    private static readonly Dictionary<string, (UpdatePath Update, bool Supported)> s_paths = new()
    {
        ["Dispatch"] = (Crc16T10Dif.Update, true),
        ["Scalar"] = (Crc16T10Dif.UpdateScalar, true),
        ["Pclmul"] = (Crc16T10Dif.UpdatePclmul, CrcFolding.IsPclmulSupported),
        ["Vector512"] = (Crc16T10Dif.UpdateVector512, CrcFolding.IsVector512Supported),
    };

    public static TheoryData<string, int> PathsAndLengths() => CrcReference.EveryLength(s_paths.Keys);

    [Fact]
    public void CheckValue()
    {
        Assert.Equal(0xD0DB, CrcReference.Crc16T10Dif("123456789"u8));
        Assert.Equal(0xD0DB, Crc16T10Dif.Compute("123456789"u8));
    }

    // The five codewords of the T10 proposal that defined the guard (G. Penokie, "Simplified
    // End-to-End Data Protection", T10/03-307, §4.5.6), as listed in the CRC RevEng catalogue
    // entry for CRC-16/T10-DIF: 32 data bytes each.
    [Theory]
    [InlineData("00", 0x0000)]
    [InlineData("FF", 0xA293)]
    [InlineData("incrementing", 0x0224)]
    [InlineData("FFFF-then-zeros", 0x21B8)]
    [InlineData("decrementing-from-FF", 0xA0B7)]
    public void T10Codewords(string kind, int expected)
    {
        byte[] data = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            data[i] = kind switch
            {
                "00" => 0,
                "FF" => 0xFF,
                "incrementing" => (byte)i,
                "FFFF-then-zeros" => i < 2 ? (byte)0xFF : (byte)0,
                _ => (byte)(0xFF - i),
            };
        }

        Assert.Equal(expected, CrcReference.Crc16T10Dif(data));
        AssertAllPaths(expected, data);
    }

    // The NVMe 4 KiB buffers (all 00h, all FFh, 00h..FFh repeating, FFh..00h repeating). The
    // expected values are from the bitwise reference (CrcReference.Normal, the Rocksoft-model
    // definition); ISA-L's crc16_t10dif agrees (IsalAgreementTests). The values first proposed for
    // this table (21B8h, A0B7h, 0224h) are the 32-byte T10 codewords above, not 4 KiB results.
    [Theory]
    [InlineData("zeros", 0x0000)]
    [InlineData("ones", 0x8B5D)]
    [InlineData("incrementing", 0x8F6D)]
    [InlineData("decrementing", 0x0430)]
    public void Nvme4KiBBuffers(string kind, int expected)
    {
        byte[] data = CrcReference.NvmeBuffer(kind);
        Assert.Equal(expected, CrcReference.Crc16T10Dif(data));
        AssertAllPaths(expected, data);
    }

    private static void AssertAllPaths(int expected, byte[] data)
    {
        Assert.Equal(expected, Crc16T10Dif.Compute(data));
        foreach ((string name, (UpdatePath update, bool supported)) in s_paths)
        {
            if (supported)
            {
                Assert.True(expected == update(0, data), name);
            }
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void PathAgreesWithReference(string path, int length)
    {
        (UpdatePath update, bool supported) = s_paths[path];
        if (!supported)
        {
            return; // this CPU lacks the instructions; the path cannot be called here
        }

        byte[] data = CrcReference.RandomBytes(length, length + 2);
        ushort expected = CrcReference.Crc16T10Dif(data);
        Assert.Equal(expected, update(0, data));

        // A non-zero starting register exercises the init placement of the folding paths.
        ushort seeded = (ushort)CrcReference.Normal(data, 16, 0x8BB7, 0xBEEF, 0);
        Assert.Equal(seeded, update(0xBEEF, data));

        byte[] padded = new byte[length + 15];
        for (int offset = 1; offset < 16; offset += 7)
        {
            data.CopyTo(padded, offset);
            Assert.Equal(expected, update(0, padded.AsSpan(offset, length)));
        }
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(65537)]
    public void AppendInPiecesEqualsCompute(int length)
    {
        byte[] data = CrcReference.RandomBytes(length, 13);
        ushort whole = Crc16T10Dif.Compute(data);
        foreach (int split in new[] { 0, 1, 15, 16, 17, 255, 256, 300, length / 2, length - 1, length })
        {
            Assert.Equal(whole, Crc16T10Dif.Append(Crc16T10Dif.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }
    }
}
