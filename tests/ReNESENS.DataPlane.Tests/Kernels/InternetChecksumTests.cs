using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public class InternetChecksumTests
{
    public delegate ulong SumPath(ReadOnlySpan<byte> source);

    private static readonly Dictionary<string, (SumPath Sum, int MinLength, bool Supported)> s_paths = new()
    {
        ["Scalar"] = (InternetChecksum.SumScalar, 0, true),
        ["Vector128"] = (InternetChecksum.SumVector128, 0, Vector128.IsHardwareAccelerated),
        ["Vector256"] = (InternetChecksum.SumVector256, 0, Vector256.IsHardwareAccelerated),
        ["Vector512"] = (InternetChecksum.SumVector512, 0, Vector512.IsHardwareAccelerated),
    };

    public static TheoryData<string, int> PathsAndLengths() => CrcReference.EveryLength(s_paths.Keys);

    /// <summary>RFC 1071 as written: big-endian 16-bit words, end-around carry after every add.</summary>
    private static ushort ReferenceSum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            uint word = (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
            sum += word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    [Fact]
    public void Rfc1071Example()
    {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (then complemented).
        byte[] data = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7];
        Assert.Equal(0xDDF2, InternetChecksum.Sum(data));
        Assert.Equal(0x220D, InternetChecksum.Compute(data));
    }

    [Fact]
    public void Ipv4HeaderExample()
    {
        // A 20-byte IPv4 header with its checksum field (offset 10) zeroed; the checksum is b861,
        // and a header carrying it sums to ffff (checks to 0).
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        ushort checksum = InternetChecksum.Compute(header);
        Assert.Equal(0xB861, checksum);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), checksum);
        Assert.Equal(0, InternetChecksum.Compute(header));
    }

    [Theory]
    [MemberData(nameof(PathsAndLengths))]
    public void PathAgreesWithReference(string path, int length)
    {
        (SumPath sum, _, bool supported) = s_paths[path];
        if (!supported)
        {
            return; // no such vectors on this CPU
        }

        byte[] data = CrcReference.RandomBytes(length, length + 5);
        ushort expected = ReferenceSum(data);
        Assert.Equal(expected, InternetChecksum.FinishLittleEndian(sum(data)));
        Assert.Equal(expected, InternetChecksum.Sum(data));
        Assert.Equal((ushort)~expected, InternetChecksum.Compute(data));

        byte[] padded = new byte[length + 15];
        data.CopyTo(padded, 3);
        Assert.Equal(expected, InternetChecksum.FinishLittleEndian(sum(padded.AsSpan(3, length))));
    }

    [Fact]
    public void CarriesSurviveLargeAllOnesInput()
    {
        byte[] data = new byte[(1 << 20) + 3];
        data.AsSpan().Fill(0xFF);
        Assert.Equal(ReferenceSum(data), InternetChecksum.Sum(data));
        foreach ((string name, (SumPath sum, _, bool supported)) in s_paths)
        {
            if (supported)
            {
                Assert.True(ReferenceSum(data) == InternetChecksum.FinishLittleEndian(sum(data)), name);
            }
        }
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(4096)]
    public void CombineHandlesOddAndEvenSplits(int length)
    {
        byte[] data = CrcReference.RandomBytes(length, 17);
        ushort whole = InternetChecksum.Sum(data);
        for (int split = 0; split <= length; split += split < 70 ? 1 : 97)
        {
            ushort a = InternetChecksum.Sum(data.AsSpan(0, split));
            ushort b = InternetChecksum.Sum(data.AsSpan(split));
            Assert.Equal(whole, InternetChecksum.Combine(a, b, split));
        }
    }

    [Fact]
    public void Rfc1624IncrementalUpdateMatchesRecomputation()
    {
        Random random = new(23);
        byte[] data = CrcReference.RandomBytes(60, 29);
        ushort checksum = InternetChecksum.Compute(data);
        for (int i = 0; i < 2000; i++)
        {
            int offset = random.Next(data.Length / 2) * 2;
            ushort oldValue = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(offset));
            ushort newValue = (ushort)random.Next(0x10000);
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(offset), newValue);
            checksum = InternetChecksum.Update(checksum, oldValue, newValue);
            Assert.Equal(InternetChecksum.Compute(data), checksum);
        }
    }

    [Fact]
    public void Rfc1624Example()
    {
        // RFC 1624 §4: HC = 0xdd2f, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000 by eqn. 3
        // (eqn. 2 would give 0xffff, the -0 that a recomputation cannot produce).
        Assert.Equal(0x0000, InternetChecksum.Update(0xDD2F, 0x5555, 0x3285));
    }

    [Fact]
    public void AddFoldsTheCarry()
    {
        Assert.Equal(0x0002, InternetChecksum.Add(0xFFFF, 0x0002));
        Assert.Equal(0x0002, InternetChecksum.Add(0x8000, 0x8001));
        Assert.Equal(0xFFFF, InternetChecksum.Add(0xFFFF, 0x0000));
    }
}
