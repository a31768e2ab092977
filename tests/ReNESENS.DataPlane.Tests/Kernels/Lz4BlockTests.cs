using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public sealed class Lz4BlockTests
{
    public static TheoryData<int> Lengths => [0, 1, 2, 3, 4, 5, 11, 12, 13, 15, 16, 17, 63, 64, 65, 128, 255, 256, 1001, 4096, 65535, 65536, 65537, 300_000];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RoundTripsTextRandomAndMixed(int length)
    {
        foreach (byte[] data in new[] { Lz4TestData.Text(length, 1), Lz4TestData.Random(length, 2), Lz4TestData.Mixed(length, 3), new byte[length] })
        {
            foreach (int level in new[] { 0, 3, 9, 12 })
            {
                byte[] compressed = new byte[Lz4Block.MaxCompressedLength(length)];
                Assert.True(Lz4Block.TryCompress(data, compressed, level, out int written));
                Assert.InRange(written, 1, compressed.Length);

                byte[] output = new byte[length];
                Assert.True(Lz4Block.TryDecompress(compressed.AsSpan(0, written), output, out int decoded));
                Assert.Equal(length, decoded);
                Assert.Equal(data, output);
            }
        }
    }

    [Fact]
    public void CompressesRepetitiveData()
    {
        byte[] data = Lz4TestData.Text(65536, 4);
        byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
        Assert.True(Lz4Block.TryCompress(data, compressed, out int written));
        Assert.True(written < data.Length / 2, $"{written} bytes");
    }

    [Fact]
    public void RefusesATooSmallDestination()
    {
        byte[] data = Lz4TestData.Random(1000, 5);
        Assert.False(Lz4Block.TryCompress(data, new byte[500], out int written));
        Assert.Equal(0, written);
        Assert.False(Lz4Block.TryCompress([], [], out _));

        byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
        Assert.True(Lz4Block.TryCompress(data, compressed, out written));
        Assert.False(Lz4Block.TryDecompress(compressed.AsSpan(0, written), new byte[999], out int decoded));
        Assert.Equal(0, decoded);
    }

    [Fact]
    public void RefusesEmptyAndTruncatedBlocks()
    {
        Assert.False(Lz4Block.TryDecompress([], new byte[10], out _));
        byte[] data = Lz4TestData.Mixed(5000, 6);
        byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
        Assert.True(Lz4Block.TryCompress(data, compressed, out int written));
        byte[] output = new byte[data.Length + 100];
        for (int cut = 0; cut < written; cut++)
        {
            bool ok = Lz4Block.TryDecompress(compressed.AsSpan(0, cut), output, out int decoded);
            Assert.True(!ok || decoded < data.Length, $"cut {cut} decoded the whole input");
        }
    }

    [Fact]
    public void GarbageAndBitFlipsNeverThrow()
    {
        var random = new Random(7);
        byte[] output = new byte[70000];
        byte[] garbage = new byte[512];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(garbage);
            int length = random.Next(garbage.Length + 1);
            bool ok = Lz4Block.TryDecompress(garbage.AsSpan(0, length), output.AsSpan(0, random.Next(output.Length)), out int written);
            Assert.True(ok || written == 0);
        }

        byte[] data = Lz4TestData.Mixed(20000, 8);
        byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
        Assert.True(Lz4Block.TryCompress(data, compressed, out int size));
        for (int bit = 0; bit < size * 8; bit += 3)
        {
            byte[] flipped = compressed.AsSpan(0, size).ToArray();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Lz4Block.TryDecompress(flipped, output, out _);
        }
    }

    [Fact]
    public void EmptyInputIsTheOneByteEmptyBlock()
    {
        byte[] compressed = new byte[16];
        Assert.True(Lz4Block.TryCompress([], compressed, out int written));
        Assert.Equal(1, written);
        Assert.Equal(0, compressed[0]);
        Assert.True(Lz4Block.TryDecompress(compressed.AsSpan(0, 1), [], out int decoded));
        Assert.Equal(0, decoded);
    }

    [Fact]
    public void MaxCompressedLengthIsLz4sBound()
    {
        Assert.Equal(16, Lz4Block.MaxCompressedLength(0));
        Assert.Equal(4096 + 16 + 16, Lz4Block.MaxCompressedLength(4096));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Block.MaxCompressedLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Block.TryCompress([1], new byte[16], 13, out _));
    }

    [Fact]
    public void RoundTripAllocatesNothing()
    {
        byte[] data = Lz4TestData.Mixed(65536, 9);
        byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
        byte[] output = new byte[data.Length];
        Lz4Block.TryCompress(data, compressed, out int written);
        Lz4Block.TryDecompress(compressed.AsSpan(0, written), output, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            Lz4Block.TryCompress(data, compressed, out written);
            Lz4Block.TryDecompress(compressed.AsSpan(0, written), output, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
