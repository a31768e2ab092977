using System.Buffers.Binary;
using System.IO.Hashing;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public sealed class ProtectionInformationTests
{
    private const ProtectionInformationGuard G16 = ProtectionInformationGuard.Crc16;
    private const ProtectionInformationGuard G64 = ProtectionInformationGuard.Crc64;

    // The five 32-byte codewords of the T10 proposal that fixed the CRC (Penokie, "Simplified
    // End-to-End Data Protection", T10/03-365, 4.5.6): data, then the guard a 16b-guard PI must carry.
    [Theory]
    [InlineData("zeros", 0x0000)]
    [InlineData("ones", 0xA293)]
    [InlineData("incrementing", 0x0224)]
    [InlineData("ffff-then-zeros", 0x21B8)]
    [InlineData("decrementing", 0xA0B7)]
    public void Crc16GuardMatchesT10Codewords(string kind, int guard)
    {
        byte[] data = new byte[32];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = kind switch
            {
                "zeros" => 0,
                "ones" => 0xFF,
                "incrementing" => (byte)i,
                "ffff-then-zeros" => (byte)(i < 2 ? 0xFF : 0),
                _ => (byte)(0xFF - i),
            };
        }

        byte[] md = new byte[8];
        ProtectionInformation.Generate(data, md, new(32, 8, G16, ProtectionInformationType.Type1), new(0));
        Assert.Equal((ushort)guard, BinaryPrimitives.ReadUInt16BigEndian(md));
        Assert.Equal((ushort)guard, CrcReference.Crc16T10Dif(data));
    }

    // NVM Command Set specification, "64b CRC Test Cases for 4 KiB Logical Block with no Metadata",
    // checked here also against System.IO.Hashing's CRC-64/NVMe.
    [Theory]
    [InlineData("zeros", 0x6482D367EB22B64EUL)]
    [InlineData("ones", 0xC0DDBA7302ECA3ACUL)]
    [InlineData("incrementing", 0x3E729F5F6750449CUL)]
    [InlineData("decrementing", 0x9A2DF64B8E9E517EUL)]
    public void Crc64GuardMatchesNvmeTestCases(string kind, ulong guard)
    {
        byte[] data = CrcReference.NvmeBuffer(kind);
        byte[] md = new byte[16];
        ProtectionInformation.Generate(data, md, new(4096, 16, G64, ProtectionInformationType.Type1, PiFirst: true), new(0));
        Assert.Equal(guard, BinaryPrimitives.ReadUInt64BigEndian(md));
        Assert.Equal(guard, Crc64.HashToUInt64(Crc64ParameterSet.Nvme, data));
    }

    [Theory]
    [InlineData("zeros")]
    [InlineData("ones")]
    [InlineData("incrementing")]
    [InlineData("decrementing")]
    public void Crc16GuardOf4KiBSpecBuffersMatchesTheBitwiseDefinition(string kind)
    {
        byte[] data = CrcReference.NvmeBuffer(kind);
        byte[] md = new byte[8];
        ProtectionInformation.Generate(data, md, new(4096, 8, G16, ProtectionInformationType.Type1), new(0));
        Assert.Equal(CrcReference.Crc16T10Dif(data), BinaryPrimitives.ReadUInt16BigEndian(md));
    }

    [Fact]
    public void SixteenBitGuardFieldsSitAtTheSpecOffsetsBigEndian()
    {
        byte[] data = CrcReference.RandomBytes(512, 1);
        byte[] md = new byte[8];
        ProtectionInformation.Generate(data, md, new(512, 8, G16, ProtectionInformationType.Type1), new(FirstLba: 0x1_2345_6789, ApplicationTag: 0xBEEF));
        ushort guard = CrcReference.Crc16T10Dif(data);
        Assert.Equal(
            new byte[] { (byte)(guard >> 8), (byte)guard, 0xBE, 0xEF, 0x23, 0x45, 0x67, 0x89 },
            md);
    }

    [Fact]
    public void SixtyFourBitGuardFieldsSitAtTheSpecOffsetsBigEndian()
    {
        byte[] data = new byte[4096];
        byte[] md = new byte[16];
        ProtectionInformation.Generate(data, md, new(4096, 16, G64, ProtectionInformationType.Type1), new(FirstLba: 0xAB_1122_3344_5566, ApplicationTag: 0x0102));
        Assert.Equal(
            new byte[] { 0x64, 0x82, 0xD3, 0x67, 0xEB, 0x22, 0xB6, 0x4E, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 },
            md);
    }

    [Theory]
    [InlineData(G16, 64)]
    [InlineData(G64, 64)]
    [InlineData(G16, 16)]
    public void PiLastGuardCoversTheMetadataBeforeIt(ProtectionInformationGuard guard, int metadataSize)
    {
        byte[] data = CrcReference.RandomBytes(512, 2);
        byte[] md = CrcReference.RandomBytes(metadataSize, 3);
        var format = new ProtectionInformationFormat(512, metadataSize, guard, ProtectionInformationType.Type1);
        ProtectionInformation.Generate(data, md, format, new(7));
        byte[] covered = [.. data, .. md.AsSpan(0, format.PiOffset)];
        AssertGuard(guard, covered, md.AsSpan(format.PiOffset));

        // Interleaved: the same bytes, the same guard.
        byte[] extended = [.. data, .. md];
        extended.AsSpan(512 + format.PiOffset).Clear();
        ProtectionInformation.Generate(extended, [], format with { Interleaved = true }, new(7));
        Assert.Equal(md, extended[512..]);
    }

    [Theory]
    [InlineData(G16)]
    [InlineData(G64)]
    public void PiFirstGuardCoversTheDataOnly(ProtectionInformationGuard guard)
    {
        byte[] data = CrcReference.RandomBytes(4096, 4);
        byte[] md = CrcReference.RandomBytes(64, 5);
        byte[] tail = md[16..];
        var format = new ProtectionInformationFormat(4096, 64, guard, ProtectionInformationType.Type1, PiFirst: true);
        ProtectionInformation.Generate(data, md, format, new(7));
        AssertGuard(guard, data, md);
        Assert.Equal(tail, md[16..]);
    }

    public static TheoryData<int, int, ProtectionInformationGuard, ProtectionInformationType, bool, bool> Layouts()
    {
        TheoryData<int, int, ProtectionInformationGuard, ProtectionInformationType, bool, bool> data = [];
        foreach ((int size, int md, ProtectionInformationGuard g) in new[] { (512, 8, G16), (512, 16, G64), (4096, 8, G16), (4096, 16, G64), (4096, 64, G16), (4096, 64, G64), (512, 64, G64) })
        {
            foreach (ProtectionInformationType t in Enum.GetValues<ProtectionInformationType>())
            {
                data.Add(size, md, g, t, false, false);
                data.Add(size, md, g, t, true, true);
                if (md > 16)
                {
                    data.Add(size, md, g, t, false, true);
                    data.Add(size, md, g, t, true, false);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void GeneratedRunsVerifyAndEachFieldErrorIsNamed(int size, int mdSize, ProtectionInformationGuard guard, ProtectionInformationType type, bool piFirst, bool interleaved)
    {
        const int Blocks = 5;
        var format = new ProtectionInformationFormat(size, mdSize, guard, type, piFirst, interleaved);
        var tags = new ProtectionInformationTags(FirstLba: 1000, InitialReferenceTag: 77, ApplicationTag: 0x5A5A);
        (byte[] data, byte[] md) = NewRun(format, Blocks, seed: size + mdSize);
        ProtectionInformation.Generate(data, md, format, tags);
        Assert.Equal(ProtectionInformationResult.Valid, ProtectionInformation.Verify(data, md, format, tags));

        // The reference tag of each block follows the type's rule.
        for (int i = 0; i < Blocks; i++)
        {
            ulong expected = type switch
            {
                ProtectionInformationType.Type1 => 1000UL + (ulong)i,
                ProtectionInformationType.Type2 => 77UL + (ulong)i,
                _ => 77UL,
            };
            Assert.Equal(expected, ReadReference(format, Pi(format, data, md, i)));
        }

        // Guard: one data byte of block 3.
        Span<byte> target = interleaved ? data.AsSpan(3 * format.DataStride, size) : data.AsSpan(3 * size, size);
        target[100] ^= 0x10;
        ProtectionInformationResult r = ProtectionInformation.Verify(data, md, format, tags);
        Assert.Equal(3, r.BlockIndex);
        Assert.Equal(ProtectionInformationField.Guard, r.Field);
        Assert.NotEqual(r.Expected, r.Actual);
        Assert.Equal(ReadGuard(format, Pi(format, data, md, 3)), r.Actual);
        Assert.True(ProtectionInformation.Verify(data, md, format, tags, ProtectionInformationChecks.ApplicationTag | ProtectionInformationChecks.ReferenceTag).IsValid);
        target[100] ^= 0x10;

        // Application tag: every block carries 5A5Ah, so block 0 is the first to differ.
        r = ProtectionInformation.Verify(data, md, format, tags with { ApplicationTag = 0x5A5B });
        Assert.Equal(new ProtectionInformationResult(0, ProtectionInformationField.ApplicationTag, 0x5A5B, 0x5A5A), r);
        Assert.True(ProtectionInformation.Verify(data, md, format, tags with { ApplicationTag = 0x5A5B, ApplicationTagMask = 0xFFF0 }).IsValid);

        // Reference tag: a run read back at the wrong LBA / initial tag.
        var shifted = tags with { FirstLba = 1001, InitialReferenceTag = 78 };
        r = ProtectionInformation.Verify(data, md, format, shifted);
        if (type == ProtectionInformationType.Type3)
        {
            Assert.True(r.IsValid); // type 3 never checks the reference tag
        }
        else
        {
            Assert.Equal(ProtectionInformationField.ReferenceTag, r.Field);
            Assert.Equal(0, r.BlockIndex);
            Assert.Equal(type == ProtectionInformationType.Type1 ? 1000UL : 77UL, r.Actual);
            Assert.Equal(r.Actual + 1, r.Expected);
            Assert.True(ProtectionInformation.Verify(data, md, format, shifted, ProtectionInformationChecks.Guard | ProtectionInformationChecks.ApplicationTag).IsValid);
        }
    }

    [Theory]
    [InlineData(G16, ProtectionInformationType.Type1)]
    [InlineData(G16, ProtectionInformationType.Type2)]
    [InlineData(G64, ProtectionInformationType.Type1)]
    [InlineData(G64, ProtectionInformationType.Type2)]
    public void Type1And2SkipABlockWhoseApplicationTagIsFFFF(ProtectionInformationGuard guard, ProtectionInformationType type)
    {
        var format = new ProtectionInformationFormat(512, guard == G64 ? 16 : 8, guard, type);
        (byte[] data, byte[] md) = NewRun(format, 3, 9);
        ProtectionInformation.Generate(data, md, format, new(0, 0, ApplicationTag: 0xFFFF));
        data.AsSpan(512, 512).Fill(0xEE); // block 1: guard now wrong, reference tag wrong below too
        Assert.True(ProtectionInformation.Verify(data, md, format, new(50, 50, 0x1234)).IsValid);
    }

    [Theory]
    [InlineData(G16)]
    [InlineData(G64)]
    public void Type3SkipsOnlyWhenApplicationTagAndReferenceTagAreAllOnes(ProtectionInformationGuard guard)
    {
        var format = new ProtectionInformationFormat(512, guard == G64 ? 16 : 8, guard, ProtectionInformationType.Type3);
        (byte[] data, byte[] md) = NewRun(format, 2, 10);
        ulong allOnes = format.ReferenceTagMask;

        ProtectionInformation.Generate(data, md, format, new(0, allOnes, 0xFFFF));
        data[700] ^= 1;
        Assert.True(ProtectionInformation.Verify(data, md, format, new(0, 0, 0)).IsValid);

        ProtectionInformation.Generate(data, md, format, new(0, allOnes - 1, 0xFFFF));
        data[700] ^= 1;
        ProtectionInformationResult r = ProtectionInformation.Verify(data, md, format, new(0, 0, 0xFFFF));
        Assert.Equal((1, ProtectionInformationField.Guard), (r.BlockIndex, r.Field));
    }

    [Fact]
    public void ReferenceTagsWrapAtTheFieldWidth()
    {
        var f16 = new ProtectionInformationFormat(512, 8, G16, ProtectionInformationType.Type1);
        (byte[] data, byte[] md) = NewRun(f16, 2, 11);
        ProtectionInformation.Generate(data, md, f16, new(0x7_FFFF_FFFF));
        Assert.Equal(0xFFFF_FFFFUL, ReadReference(f16, md.AsSpan(0, 8)));
        Assert.Equal(0UL, ReadReference(f16, md.AsSpan(8, 8)));
        Assert.True(ProtectionInformation.Verify(data, md, f16, new(0x7_FFFF_FFFF)).IsValid);

        var f64 = new ProtectionInformationFormat(512, 16, G64, ProtectionInformationType.Type2);
        (data, md) = NewRun(f64, 2, 12);
        ProtectionInformation.Generate(data, md, f64, new(0, 0xFFFF_FFFF_FFFF));
        Assert.Equal(0xFFFF_FFFF_FFFFUL, ReadReference(f64, md.AsSpan(0, 16)));
        Assert.Equal(0UL, ReadReference(f64, md.AsSpan(16, 16)));
    }

    [Fact]
    public void RandomCorruptionIsAlwaysFoundAtItsBlock()
    {
        var random = new Random(1234);
        ProtectionInformationFormat[] formats =
        [
            new(512, 8, G16, ProtectionInformationType.Type1),
            new(4096, 8, G16, ProtectionInformationType.Type2, Interleaved: true),
            new(512, 16, G64, ProtectionInformationType.Type1, PiFirst: true),
            new(4096, 64, G64, ProtectionInformationType.Type2, Interleaved: true),
            new(512, 64, G16, ProtectionInformationType.Type1, PiFirst: false),
        ];
        for (int iteration = 0; iteration < 300; iteration++)
        {
            ProtectionInformationFormat format = formats[iteration % formats.Length];
            int blocks = random.Next(1, 17);
            (byte[] data, byte[] md) = NewRun(format, blocks, iteration);
            var tags = new ProtectionInformationTags((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ushort)random.Next(0, 0x7FFF)); // one flipped bit never makes the FFFFh escape
            ProtectionInformation.Generate(data, md, format, tags);

            int block = random.Next(blocks);
            // A bit of the data, of the metadata the guard covers, or of the PI itself.
            int coveredMetadata = format.PiFirst ? 0 : format.PiOffset;
            int byteInBlock = random.Next(format.DataSize + coveredMetadata + format.PiSize);
            Span<byte> b = byteInBlock < format.DataSize
                ? data.AsSpan((block * format.DataStride) + byteInBlock, 1)
                : Metadata(format, data, md, block).Slice(byteInBlock - format.DataSize, 1); // covered prefix, then the PI
            b[0] ^= (byte)(1 << random.Next(8));

            ProtectionInformationResult r = ProtectionInformation.Verify(data, md, format, tags);
            Assert.False(r.IsValid, $"iteration {iteration}");
            Assert.Equal(block, r.BlockIndex);
        }
    }

    [Fact]
    public void MetadataOutsideTheGuardIsNotChecked()
    {
        var format = new ProtectionInformationFormat(512, 64, G64, ProtectionInformationType.Type1, PiFirst: true);
        (byte[] data, byte[] md) = NewRun(format, 2, 13);
        ProtectionInformation.Generate(data, md, format, new(5));
        md[64 + 40] ^= 0xFF;
        Assert.True(ProtectionInformation.Verify(data, md, format, new(5)).IsValid);
    }

    [Fact]
    public void BadGeometryThrows()
    {
        var separate = new ProtectionInformationFormat(512, 8, G16, ProtectionInformationType.Type1);
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[513], new byte[8], separate, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[1024], new byte[8], separate, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Verify(new byte[512], new byte[16], separate, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[512], new byte[8], separate with { MetadataSize = 7 }, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[512], new byte[8], new(512, 8, G64, ProtectionInformationType.Type1), default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[520], new byte[8], separate with { Interleaved = true }, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[512], new byte[8], separate with { DataSize = 0 }, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[512], new byte[8], separate with { Type = (ProtectionInformationType)0 }, default));
        Assert.Throws<ArgumentException>(() => ProtectionInformation.Generate(new byte[512], new byte[8], separate with { Guard = (ProtectionInformationGuard)7 }, default));
        Assert.Equal(3, ProtectionInformation.GetBlockCount(separate with { Interleaved = true }, 3 * 520, 0));
        Assert.Equal(0, ProtectionInformation.GetBlockCount(separate, 0, 0));
    }

    private static (byte[] Data, byte[] Metadata) NewRun(ProtectionInformationFormat format, int blocks, int seed) =>
        format.Interleaved
            ? (CrcReference.RandomBytes(blocks * format.DataStride, seed), [])
            : (CrcReference.RandomBytes(blocks * format.DataSize, seed), CrcReference.RandomBytes(blocks * format.MetadataSize, seed + 1));

    private static Span<byte> Metadata(ProtectionInformationFormat format, byte[] data, byte[] md, int block) =>
        format.Interleaved
            ? data.AsSpan((block * format.DataStride) + format.DataSize, format.MetadataSize)
            : md.AsSpan(block * format.MetadataSize, format.MetadataSize);

    private static Span<byte> Pi(ProtectionInformationFormat format, byte[] data, byte[] md, int block) =>
        Metadata(format, data, md, block).Slice(format.PiOffset, format.PiSize);

    private static ulong ReadGuard(ProtectionInformationFormat format, ReadOnlySpan<byte> pi) =>
        format.Guard == G64 ? BinaryPrimitives.ReadUInt64BigEndian(pi) : BinaryPrimitives.ReadUInt16BigEndian(pi);

    private static ulong ReadReference(ProtectionInformationFormat format, ReadOnlySpan<byte> pi) =>
        format.Guard == G64
            ? ((ulong)BinaryPrimitives.ReadUInt16BigEndian(pi[10..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(pi[12..])
            : BinaryPrimitives.ReadUInt32BigEndian(pi[4..]);

    private static void AssertGuard(ProtectionInformationGuard guard, byte[] covered, ReadOnlySpan<byte> pi)
    {
        if (guard == G64)
        {
            Assert.Equal(CrcReference.Crc64Nvme(covered), BinaryPrimitives.ReadUInt64BigEndian(pi));
        }
        else
        {
            Assert.Equal(CrcReference.Crc16T10Dif(covered), BinaryPrimitives.ReadUInt16BigEndian(pi));
        }
    }
}
