using System.IO.Hashing;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class Crc64NvmeTests
{
    public delegate ulong UpdatePath(ulong register, ReadOnlySpan<byte> source);

    private static readonly Dictionary<string, (UpdatePath Update, bool Supported)> s_paths = new()
    {
        ["Dispatch"] = (Crc64Nvme.Update, true),
        ["Scalar"] = (Crc64Nvme.UpdateScalar, true),
        ["Pclmul"] = (Crc64Nvme.UpdatePclmul, CrcFolding.IsPclmulSupported),
        ["Vector512"] = (Crc64Nvme.UpdateVector512, CrcFolding.IsVector512Supported),
    };

    public static TheoryData<string, int> PathsAndLengths() => CrcReference.EveryLength(s_paths.Keys);

    [Fact]
    public void CheckValue()
    {
        Assert.Equal(0xAE8B14860A799888UL, CrcReference.Crc64Nvme("123456789"u8));
        Assert.Equal(0xAE8B14860A799888UL, Crc64Nvme.Compute("123456789"u8));
    }

    // NVMe NVM Command Set specification, "64b CRC Test Cases for 4 KiB Logical Block with no
    // Metadata"; each value is also checked against the bitwise reference and System.IO.Hashing.
    [Theory]
    [InlineData("zeros", 0x6482D367EB22B64EUL)]
    [InlineData("ones", 0xC0DDBA7302ECA3ACUL)]
    [InlineData("incrementing", 0x3E729F5F6750449CUL)]
    [InlineData("decrementing", 0x9A2DF64B8E9E517EUL)]
    public void NvmeSpecTestCases(string kind, ulong expected)
    {
        byte[] data = CrcReference.NvmeBuffer(kind);
        Assert.Equal(expected, CrcReference.Crc64Nvme(data));
        Assert.Equal(expected, Crc64.HashToUInt64(Crc64ParameterSet.Nvme, data));
        Assert.Equal(expected, Crc64Nvme.Compute(data));
        foreach ((string name, (UpdatePath update, bool supported)) in s_paths)
        {
            if (supported)
            {
                Assert.True(expected == ~update(ulong.MaxValue, data), name);
            }
        }
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

        byte[] data = CrcReference.RandomBytes(length, length + 1);
        ulong expected = CrcReference.Crc64Nvme(data);
        Assert.Equal(expected, Crc64.HashToUInt64(Crc64ParameterSet.Nvme, data));
        Assert.Equal(expected, ~update(ulong.MaxValue, data));

        byte[] padded = new byte[length + 15];
        for (int offset = 1; offset < 16; offset += 7)
        {
            data.CopyTo(padded, offset);
            Assert.Equal(expected, ~update(ulong.MaxValue, padded.AsSpan(offset, length)));
        }
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(65537)]
    public void AppendInPiecesEqualsCompute(int length)
    {
        byte[] data = CrcReference.RandomBytes(length, 11);
        ulong whole = Crc64Nvme.Compute(data);
        foreach (int split in new[] { 0, 1, 15, 16, 17, 255, 256, 300, length / 2, length - 1, length })
        {
            Assert.Equal(whole, Crc64Nvme.Append(Crc64Nvme.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
        }

        Assert.Equal(0UL, Crc64Nvme.Compute([]));
    }

    /// <summary>
    /// The folding engine on a second 64-bit generator (CRC-64/XZ, ISA-L's crc64_ecma_refl): the
    /// constants are derived, not tabulated, so any reflected 64-bit CRC must come out right.
    /// </summary>
    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(4096)]
    [InlineData(4112)]
    public void EngineOnCrc64Xz(int length)
    {
        if (!CrcFolding.IsVector512Supported)
        {
            return;
        }

        CrcFoldConstants xz = new(0x42F0E1EBA9EA3693, reflected: true);
        byte[] data = CrcReference.RandomBytes(length, 3);
        ulong expected = CrcReference.Crc64Xz(data);
        Assert.Equal(0x995DC9BBDF1939FAUL, CrcReference.Crc64Xz("123456789"u8));
        Assert.Equal(expected, ~CrcFolding.Fold128<ReflectedBitOrder>(ulong.MaxValue, ref data[0], (nuint)length, xz));
        if (length >= CrcFolding.Vector512MinLength)
        {
            Assert.Equal(expected, ~CrcFolding.Fold512<ReflectedBitOrder>(ulong.MaxValue, ref data[0], (nuint)length, xz));
        }
    }
}
