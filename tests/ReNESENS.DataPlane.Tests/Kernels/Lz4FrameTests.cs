using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

public sealed class Lz4FrameTests
{
    /// <summary><c>printf 'hello hello hello hello\n' | lz4 -c</c> (lz4 1.9.4).</summary>
    private static readonly byte[] HelloFromCli =
    [
        0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x0f, 0x00, 0x00, 0x00, 0x69,
        0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x06, 0x00, 0x50, 0x65, 0x6c, 0x6c,
        0x6f, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xe2, 0xff, 0x03, 0x42,
    ];

    /// <summary><c>printf '' | lz4 -c</c>.</summary>
    private static readonly byte[] EmptyFromCli = [0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x00, 0x00, 0x00, 0x00, 0x05, 0x5d, 0xcc, 0x02];

    public static TheoryData<int> Lengths => [0, 1, 15, 16, 100, 4096, 65535, 65536, 65537, 200_000, 1_100_000];

    private static IEnumerable<Lz4FrameOptions> AllOptions(bool allBlockSizes)
    {
        Lz4BlockSize[] sizes = allBlockSizes
            ? [Lz4BlockSize.Default, Lz4BlockSize.Max64KB, Lz4BlockSize.Max256KB, Lz4BlockSize.Max1MB, Lz4BlockSize.Max4MB]
            : [Lz4BlockSize.Max64KB, Lz4BlockSize.Max256KB];
        foreach (Lz4BlockSize size in sizes)
        {
            for (int flags = 0; flags < 16; flags++)
            {
                yield return new Lz4FrameOptions
                {
                    BlockSize = size,
                    LinkedBlocks = (flags & 1) != 0,
                    BlockChecksum = (flags & 2) != 0,
                    ContentChecksum = (flags & 4) != 0,
                    ContentSize = (flags & 8) != 0,
                };
            }
        }
    }

    [Fact]
    public void DecodesFramesTheCliWrote()
    {
        byte[] output = new byte[100];
        Assert.Equal(Lz4FrameStatus.Ok, Lz4Frame.TryDecompress(HelloFromCli, output, out int written));
        Assert.Equal("hello hello hello hello\n", Encoding.ASCII.GetString(output, 0, written));
        Assert.Equal(Lz4FrameStatus.Ok, Lz4Frame.TryDecompress(EmptyFromCli, [], out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void WritesTheSameHeaderAsTheCli()
    {
        // Independent 64 KiB blocks with a content checksum: FLG 0x64, BD 0x40, HC 0xA7 (see above).
        byte[] frame = new byte[64];
        int written = Lz4Frame.Compress([], frame, default);
        Assert.Equal(EmptyFromCli, frame.AsSpan(0, written).ToArray());
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RoundTripsEveryOptionCombination(int length)
    {
        byte[] data = Lz4TestData.Mixed(length, length);
        foreach (Lz4FrameOptions options in AllOptions(allBlockSizes: length <= 65537))
        {
            AssertRoundTrip(data, options);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(12)]
    public void RoundTripsAtEveryLevel(int level)
    {
        byte[] data = Lz4TestData.Mixed(150_000, 11);
        AssertRoundTrip(data, new Lz4FrameOptions { Level = level, BlockChecksum = true });
        AssertRoundTrip(data, new Lz4FrameOptions { Level = level, LinkedBlocks = true, BlockSize = Lz4BlockSize.Max4MB });
        AssertRoundTrip(Lz4TestData.Random(70_000, 12), new Lz4FrameOptions { Level = level });
    }

    [Fact]
    public void LinkedBlocksReferToThePreviousBlock()
    {
        // The same random 40 KB seven times: an independent block sees at most one and a half
        // copies, a linked one refers back into the previous block.
        byte[] half = Lz4TestData.Random(40_000, 13);
        byte[] data = [.. half, .. half, .. half, .. half, .. half, .. half, .. half];
        int independent = AssertRoundTrip(data, new Lz4FrameOptions { BlockSize = Lz4BlockSize.Max64KB });
        int linked = AssertRoundTrip(data, new Lz4FrameOptions { BlockSize = Lz4BlockSize.Max64KB, LinkedBlocks = true });
        Assert.True(linked < independent / 2, $"linked {linked}, independent {independent}");
    }

    [Fact]
    public void StoresIncompressibleBlocksUncompressed()
    {
        byte[] data = Lz4TestData.Random(100_000, 14);
        byte[] frame = new byte[Lz4Frame.MaxCompressedLength(data.Length, default)];
        int written = Lz4Frame.Compress(data, frame, default);
        Assert.Equal(frame.Length, written);
        Assert.Equal(0x80000000u | 65536, BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(7)));
    }

    [Fact]
    public void CompressRefusesATooSmallDestination()
    {
        byte[] data = Lz4TestData.Random(10_000, 15);
        int bound = Lz4Frame.MaxCompressedLength(data.Length, default);
        for (int length = 0; length < bound; length += 97)
        {
            Assert.False(Lz4Frame.TryCompress(data, new byte[length], default, out int written));
            Assert.Equal(0, written);
        }

        Assert.Throws<ArgumentException>(() => Lz4Frame.Compress(data, new byte[100], default));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lz4Frame.MaxCompressedLength(1, new Lz4FrameOptions { BlockSize = (Lz4BlockSize)3 }));
    }

    [Fact]
    public void SkipsSkippableFramesAndDecodesConcatenatedFrames()
    {
        byte[] a = Lz4TestData.Text(5000, 16);
        byte[] b = Lz4TestData.Mixed(70000, 17);
        byte[] skip = [0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3];
        byte[] stream = [.. skip, .. Frame(a, default), .. skip, .. Frame(b, new Lz4FrameOptions { LinkedBlocks = true }), .. skip];
        byte[] output = new byte[a.Length + b.Length];
        Assert.Equal(Lz4FrameStatus.Ok, Lz4Frame.TryDecompress(stream, output, out int written));
        Assert.Equal(output.Length, written);
        Assert.Equal([.. a, .. b], output);

        Assert.Equal(Lz4FrameStatus.Ok, Lz4Frame.TryDecompress(skip, [], out written));
        Assert.Equal(Lz4FrameStatus.Truncated, Lz4Frame.TryDecompress(skip.AsSpan(0, 10), [], out _));
    }

    [Fact]
    public void EveryStatusHasACraftedFrame()
    {
        byte[] data = Lz4TestData.Mixed(100_000, 18);
        byte[] big = new byte[data.Length + (1 << 20)];
        var all = new Lz4FrameOptions { BlockChecksum = true, ContentSize = true };
        byte[] good = Frame(data, all);
        Assert.Equal(Lz4FrameStatus.Ok, Decode(good, big));

        Assert.Equal(Lz4FrameStatus.Truncated, Decode([], big));
        Assert.Equal(Lz4FrameStatus.Truncated, Decode(good.AsSpan(0, good.Length - 1), big));
        Assert.Equal(Lz4FrameStatus.BadMagic, Decode(Patched(good, 0, 0x05), big));
        Assert.Equal(Lz4FrameStatus.BadHeaderChecksum, Decode(Patched(good, 14, (byte)(good[14] ^ 1)), big));
        Assert.Equal(Lz4FrameStatus.UnsupportedVersion, Decode(WithDescriptor(good, flg: (byte)(good[4] & 0x3F)), big));
        Assert.Equal(Lz4FrameStatus.UnsupportedVersion, Decode(WithDescriptor(good, flg: (byte)((good[4] & 0x3F) | 0x80)), big));
        Assert.Equal(Lz4FrameStatus.ReservedBitSet, Decode(WithDescriptor(good, flg: (byte)(good[4] | 0x02)), big));
        Assert.Equal(Lz4FrameStatus.ReservedBitSet, Decode(WithDescriptor(good, bd: 0xC0), big));
        Assert.Equal(Lz4FrameStatus.ReservedBitSet, Decode(WithDescriptor(good, bd: 0x41), big));
        Assert.Equal(Lz4FrameStatus.ReservedBitSet, Decode(WithDescriptor(good, bd: 0x30), big));
        Assert.Equal(Lz4FrameStatus.LegacyFormat, Decode([0x02, 0x21, 0x4C, 0x18, 0, 0, 0, 0], big));
        Assert.Equal(Lz4FrameStatus.DictionaryRequired, Decode(WithDictId(good), big));

        // First block's size field is at 15: one byte over 64 KiB; then a compressed block of garbage.
        byte[] tooLarge = Patched(good, 15, 0x01, 0x00, 0x01, 0x00);
        Assert.Equal(Lz4FrameStatus.BlockTooLarge, Decode(tooLarge, big));
        Assert.Equal(Lz4FrameStatus.BlockChecksumMismatch, Decode(Patched(good, 19, (byte)(good[19] ^ 0x40)), big));
        byte[] corrupt = Frame([], new Lz4FrameOptions { ContentSize = false, ContentChecksum = false });
        byte[] offsetZero = [0x14, (byte)'a', 0x00, 0x00, 0x10, (byte)'b'];
        byte[] corruptFrame = [.. corrupt.AsSpan(0, 7), .. Le32(offsetZero.Length), .. offsetZero, 0, 0, 0, 0];
        Assert.Equal(Lz4FrameStatus.CorruptBlock, Decode(corruptFrame, big));
        byte[] backwards = [0x14, (byte)'a', 0x10, 0x00, 0x10, (byte)'b'];
        Assert.Equal(Lz4FrameStatus.CorruptBlock, Decode([.. corrupt.AsSpan(0, 7), .. Le32(backwards.Length), .. backwards, 0, 0, 0, 0], big));

        byte[] noBlockSum = Frame(data, new Lz4FrameOptions { ContentSize = true });
        Assert.Equal(Lz4FrameStatus.ContentChecksumMismatch, Decode(Patched(noBlockSum, noBlockSum.Length - 1, (byte)(noBlockSum[^1] ^ 1)), big));
        byte[] wrongSize = WithDescriptor(noBlockSum, contentSize: (ulong)data.Length - 1);
        Assert.Equal(Lz4FrameStatus.ContentSizeMismatch, Decode(wrongSize, big));

        Assert.Equal(Lz4FrameStatus.OutputTooSmall, Decode(good, new byte[data.Length - 1]));
        byte[] unsized = Frame(data, default);
        Assert.Equal(Lz4FrameStatus.OutputTooSmall, Decode(unsized, new byte[data.Length - 1]));
        byte[] raw = Frame(Lz4TestData.Random(1000, 19), default);
        Assert.Equal(Lz4FrameStatus.OutputTooSmall, Decode(raw, new byte[999]));
        Assert.Equal(Lz4FrameStatus.Ok, Decode(unsized, new byte[data.Length]));
    }

    [Fact]
    public void EveryTruncationIsAnErrorNeverAnException()
    {
        foreach (Lz4FrameOptions options in new[] { default, new Lz4FrameOptions { BlockChecksum = true, ContentSize = true, LinkedBlocks = true } })
        {
            byte[] data = Lz4TestData.Mixed(20_000, 20);
            byte[] frame = Frame(data, options with { BlockSize = Lz4BlockSize.Max64KB });
            byte[] output = new byte[data.Length];
            for (int cut = 0; cut < frame.Length; cut++)
            {
                Lz4FrameStatus status = Lz4Frame.TryDecompress(frame.AsSpan(0, cut), output, out int written);
                Assert.NotEqual(Lz4FrameStatus.Ok, status);
                Assert.Equal(0, written);
            }
        }
    }

    [Fact]
    public void EveryBitFlipIsCaughtWhenEveryChecksumIsOn()
    {
        byte[] data = Lz4TestData.Mixed(3000, 21);
        byte[] frame = Frame(data, new Lz4FrameOptions { BlockChecksum = true, ContentSize = true, BlockSize = Lz4BlockSize.Max64KB });
        byte[] output = new byte[data.Length + 70_000];
        for (int bit = 0; bit < frame.Length * 8; bit++)
        {
            byte[] flipped = (byte[])frame.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(Lz4FrameStatus.Ok, Lz4Frame.TryDecompress(flipped, output, out _));
        }
    }

    [Fact]
    public void GarbageAndBitFlipsNeverThrow()
    {
        var random = new Random(22);
        byte[] output = new byte[300_000];
        byte[] data = Lz4TestData.Mixed(100_000, 23);
        byte[][] frames =
        [
            Frame(data, default),
            Frame(data, new Lz4FrameOptions { LinkedBlocks = true, ContentChecksum = false }),
            Frame(data, new Lz4FrameOptions { BlockSize = Lz4BlockSize.Max256KB, ContentChecksum = false }),
        ];
        for (int i = 0; i < 3000; i++)
        {
            byte[] input = (byte[])frames[i % frames.Length].Clone();
            int flips = random.Next(1, 8);
            for (int f = 0; f < flips; f++)
            {
                input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
            }

            Lz4FrameStatus status = Lz4Frame.TryDecompress(input, output.AsSpan(0, random.Next(output.Length)), out int written);
            Assert.True(status == Lz4FrameStatus.Ok || written == 0);
        }

        byte[] garbage = new byte[600];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(garbage);
            if (i % 2 == 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(garbage, Lz4Frame.Magic);
            }

            Lz4Frame.TryDecompress(garbage.AsSpan(0, random.Next(garbage.Length)), output.AsSpan(0, random.Next(70_000)), out _);
        }
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        byte[] data = Lz4TestData.Mixed(200_000, 24);
        var options = new Lz4FrameOptions { BlockChecksum = true, ContentSize = true };
        byte[] frame = new byte[Lz4Frame.MaxCompressedLength(data.Length, options)];
        var linkedOptions = new Lz4FrameOptions { LinkedBlocks = true };
        byte[] linked = new byte[Lz4Frame.MaxCompressedLength(data.Length, linkedOptions)];
        byte[] output = new byte[data.Length];

        bool ok = true;
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                int written = Lz4Frame.Compress(data, frame, options);
                int linkedWritten = Lz4Frame.Compress(data, linked, linkedOptions);
                ok &= Lz4Frame.TryDecompress(frame.AsSpan(0, written), output, out _) == Lz4FrameStatus.Ok;
                ok &= Lz4Frame.TryDecompress(linked.AsSpan(0, linkedWritten), output, out _) == Lz4FrameStatus.Ok;
            }
        });

        Assert.True(ok);
        Assert.Equal(0, allocated);
    }

    private static int AssertRoundTrip(byte[] data, Lz4FrameOptions options)
    {
        byte[] frame = new byte[Lz4Frame.MaxCompressedLength(data.Length, options)];
        Assert.True(Lz4Frame.TryCompress(data, frame, options, out int written), options.ToString());
        byte[] output = new byte[data.Length];
        Assert.Equal(Lz4FrameStatus.Ok, Lz4Frame.TryDecompress(frame.AsSpan(0, written), output, out int decoded));
        Assert.Equal(data.Length, decoded);
        Assert.True(data.AsSpan().SequenceEqual(output), options.ToString());

        // Exactly the frame's size is enough too.
        Assert.True(Lz4Frame.TryCompress(data, new byte[written], options, out int again));
        Assert.Equal(written, again);
        return written;
    }

    private static byte[] Frame(byte[] data, Lz4FrameOptions options)
    {
        byte[] frame = new byte[Lz4Frame.MaxCompressedLength(data.Length, options)];
        return frame.AsSpan(0, Lz4Frame.Compress(data, frame, options)).ToArray();
    }

    private static Lz4FrameStatus Decode(ReadOnlySpan<byte> frame, Span<byte> output) => Lz4Frame.TryDecompress(frame, output, out _);

    private static byte[] Patched(byte[] frame, int at, params byte[] bytes)
    {
        byte[] copy = (byte[])frame.Clone();
        bytes.CopyTo(copy, at);
        return copy;
    }

    private static byte[] Le32(int value)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return b;
    }

    /// <summary>The frame with FLG/BD/content size replaced and the header checksum recomputed (frame must have a content size).</summary>
    private static byte[] WithDescriptor(byte[] frame, byte? flg = null, byte? bd = null, ulong? contentSize = null)
    {
        byte[] copy = (byte[])frame.Clone();
        copy[4] = flg ?? copy[4];
        copy[5] = bd ?? copy[5];
        if (contentSize is ulong size)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(6), size);
        }

        int length = (copy[4] & 0x08) != 0 ? 10 : 2;
        copy[4 + length] = (byte)(XxHash32.HashToUInt32(copy.AsSpan(4, length)) >> 8);
        return copy;
    }

    /// <summary>The frame (with a content size) given a dictionary id, checksum recomputed.</summary>
    private static byte[] WithDictId(byte[] frame)
    {
        byte[] copy = [.. frame.AsSpan(0, 14), 1, 2, 3, 4, .. frame.AsSpan(14)];
        copy[4] |= 0x01;
        copy[18] = (byte)(XxHash32.HashToUInt32(copy.AsSpan(4, 14)) >> 8);
        return copy;
    }
}
