using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// Our LZ4 block codec against liblz4 1.9.4: the fast compressor must write exactly the bytes of
/// <c>LZ4_compress_default</c> (and, for linked blocks, of <c>LZ4_compress_fast_continue</c>),
/// refuse exactly the destinations it refuses, and the decoder must give back what liblz4's
/// compressor wrote and agree with <c>LZ4_decompress_safe</c> on every block that one accepts.
/// </summary>
public sealed class Lz4AgreementTests
{
    /// <summary>Kinds of input: compressible text, random, a mix with long repeats, zeros, and a 4-letter alphabet.</summary>
    private static IEnumerable<byte[]> Inputs(int length, int seed)
    {
        yield return Lz4TestData.Text(length, seed);
        yield return Lz4TestData.Random(length, seed + 1);
        yield return Lz4TestData.Mixed(length, seed + 2);
        yield return new byte[length];
        byte[] small = Lz4TestData.Random(length, seed + 3);
        for (int i = 0; i < small.Length; i++)
        {
            small[i] = (byte)('a' + (small[i] & 3));
        }

        yield return small;
    }

    /// <summary>Real files: this library's dll and the test assembly (code and metadata), and the lz4 tool when present.</summary>
    private static IEnumerable<byte[]> RealFiles()
    {
        yield return File.ReadAllBytes(typeof(Lz4Block).Assembly.Location);
        yield return File.ReadAllBytes(typeof(Lz4AgreementTests).Assembly.Location);
        if (File.Exists("/usr/bin/lz4"))
        {
            yield return File.ReadAllBytes("/usr/bin/lz4");
        }
    }

    public static TheoryData<int> LargeLengths => [4096, 65535, 65536, 65546, 65547, 65548, 70_000, 131_072, 300_000, 1_048_576];

    [Fact]
    public void LibraryIsVersion194()
    {
        Assert.True(NativeLibrary.TryLoad(Liblz4.Library, out _), "liblz4.so.1 not found: install Debian's liblz4-1 (the test command does)");
        Assert.Equal(10904, Liblz4.VersionNumber());
    }

    [Fact]
    public void CompressesEveryLengthTo600LikeLz4CompressDefault()
    {
        for (int length = 0; length <= 600; length++)
        {
            foreach (byte[] data in Inputs(length, length))
            {
                AssertSameBlock(data);
            }
        }
    }

    [Theory]
    [MemberData(nameof(LargeLengths))]
    public void CompressesLargeInputsLikeLz4CompressDefault(int length)
    {
        foreach (byte[] data in Inputs(length, length))
        {
            AssertSameBlock(data);
        }

        // A random block repeated further back than 64 KiB, then closer: the 32-bit table's distance limit.
        byte[] far = Lz4TestData.Random(70_000, 99);
        AssertSameBlock([.. far, .. far, .. far.AsSpan(0, 1000)]);
    }

    [Fact]
    public void CompressesRealFilesLikeLz4CompressDefault()
    {
        foreach (byte[] file in RealFiles())
        {
            AssertSameBlock(file);
            foreach (int chunk in new[] { 512, 4096, 65536 })
            {
                for (int at = 0; at + chunk <= file.Length; at += chunk * 7)
                {
                    AssertSameBlock(file.AsSpan(at, chunk));
                }
            }
        }
    }

    [Fact]
    public void RefusesExactlyTheDestinationsLiblz4Refuses()
    {
        var random = new Random(31);
        foreach (byte[] data in Inputs(3000, 30).Concat(Inputs(70_000, 31)).Concat(Inputs(40, 32)))
        {
            int bound = Lz4Block.MaxCompressedLength(data.Length);
            int full = Liblz4.Compress(data, new byte[bound]);
            foreach (int length in new[] { 0, 1, full - 10, full - 1, full, full + 1, full + 5, full + 8, full + 9, bound - 1, random.Next(bound), random.Next(full, bound) })
            {
                if (length < 0)
                {
                    continue;
                }

                byte[] theirs = new byte[length];
                byte[] ours = new byte[length];
                int expected = Liblz4.Compress(data, theirs);
                int written = Lz4BlockEncoder.Compress(data, ours);
                Assert.True(expected == written, $"{data.Length} bytes into {length}: liblz4 {expected}, ours {written}");
                Assert.True(theirs.AsSpan(0, expected).SequenceEqual(ours.AsSpan(0, written)));
            }
        }
    }

    [Fact]
    public void LinkedBlocksAreLz4CompressFastContinue()
    {
        byte[] file = RealFiles().First();
        byte[] repeated = Lz4TestData.Random(40_000, 40);
        foreach (byte[] content in new[] { Lz4TestData.Mixed(600_000, 41), file, [.. repeated, .. repeated, .. repeated, .. repeated, .. repeated] })
        {
            foreach (int blockBytes in new[] { 1000, 4096, 65536 })
            {
                uint[] table = new uint[Lz4BlockEncoder.TableWords];
                nint stream = Liblz4.CreateStream();
                try
                {
                    int blocks = 0;
                    for (int start = 0; start < content.Length && blocks < 200; start += blockBytes, blocks++)
                    {
                        int end = Math.Min(content.Length, start + blockBytes);
                        int capacity = blocks % 3 == 2 ? (end - start) / 2 : end - start - 1;
                        byte[] theirs = new byte[capacity];
                        byte[] ours = new byte[capacity];
                        int expected = Liblz4.CompressContinue(stream, content.AsSpan(0, end), start, theirs);
                        int written = Lz4BlockEncoder.CompressLinked(content.AsSpan(0, end), start, ours, table);
                        Assert.True(expected == written, $"block at {start} ({blockBytes}): liblz4 {expected}, ours {written}");
                        Assert.True(theirs.AsSpan(0, expected).SequenceEqual(ours.AsSpan(0, written)), $"block at {start} differs");
                        if (written > 0)
                        {
                            // Our decoder with the previous 64 KiB as history gives the block back, as liblz4's does.
                            int history = Math.Min(start, 65536);
                            byte[] output = content.AsSpan(start - history, history).ToArray().Concat(new byte[end - start]).ToArray();
                            Assert.Equal(end - start, Lz4BlockDecoder.Decode(ours.AsSpan(0, written), output, history));
                            Assert.True(output.AsSpan(history).SequenceEqual(content.AsSpan(start, end - start)));
                            Array.Clear(output, history, end - start);
                            Assert.Equal(end - start, Liblz4.Decompress(ours.AsSpan(0, written), output, history));
                        }
                    }
                }
                finally
                {
                    Liblz4.FreeStream(stream);
                }
            }
        }
    }

    [Fact]
    public void DecodesWhatLiblz4Wrote()
    {
        foreach (byte[] data in RealFiles().Concat(Inputs(100_000, 50)).Concat(Inputs(17, 51)))
        {
            byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
            int n = Liblz4.Compress(data, compressed);
            Assert.True(n > 0);

            // Exactly sized and with room to spare (which wild copies may use), inside a larger
            // array whose bytes after the destination span must stay untouched.
            foreach (int extra in new[] { 0, 1, 7, 64 })
            {
                byte[] output = new byte[data.Length + extra + 64];
                output.AsSpan().Fill(0xA5);
                Assert.True(Lz4Block.TryDecompress(compressed.AsSpan(0, n), output.AsSpan(0, data.Length + extra), out int written));
                Assert.Equal(data.Length, written);
                Assert.True(output.AsSpan(0, data.Length).SequenceEqual(data));
                Assert.True(output.AsSpan(data.Length + extra).IndexOfAnyExcept((byte)0xA5) < 0, "bytes after the destination were written");
            }
        }
    }

    [Fact]
    public void AcceptsEveryBlockLz4DecompressSafeAccepts()
    {
        // Mutated valid blocks and raw garbage, decoded into several output sizes: whenever liblz4
        // decodes a block, ours decodes it to the same bytes (we may also accept a few blocks it
        // refuses near the end of the output, never the reverse).
        var random = new Random(60);
        byte[] data = Lz4TestData.Mixed(20_000, 61);
        byte[] compressed = new byte[Lz4Block.MaxCompressedLength(data.Length)];
        int size = Liblz4.Compress(data, compressed);
        byte[] theirs = new byte[data.Length + 100];
        byte[] ours = new byte[data.Length + 100];
        int agreed = 0;
        int zeroOffsets = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] block = compressed.AsSpan(0, size).ToArray();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++)
            {
                block[random.Next(block.Length)] = (byte)random.Next(256);
            }

            ReadOnlySpan<byte> input = i % 5 == 0 ? Lz4TestData.Random(random.Next(64), i) : block.AsSpan(0, block.Length - (i % 7 == 0 ? random.Next(block.Length) : 0));
            int room = i % 3 == 0 ? random.Next(ours.Length) : data.Length;
            int expected = Liblz4.Decompress(input, theirs.AsSpan(0, room));
            int written = Lz4BlockDecoder.Decode(input, ours.AsSpan(0, room), 0);
            Assert.InRange(written, -1, room);
            if (expected >= 0 && HasZeroOffset(input))
            {
                // liblz4 1.9.4 does not check for offset 0 (the format calls it corrupt; we refuse it).
                Assert.Equal(-1, written);
                zeroOffsets++;
            }
            else if (expected >= 0)
            {
                Assert.Equal(expected, written);
                Assert.True(theirs.AsSpan(0, expected).SequenceEqual(ours.AsSpan(0, written)));
                agreed++;
            }
        }

        Assert.True(agreed > 100, $"only {agreed} mutated blocks were valid: the test does not exercise the decoder");
        Assert.True(zeroOffsets > 0, "no block with offset 0 was tried");
    }

    /// <summary>Whether a block that liblz4 decoded (so its lengths are in range) has a sequence with offset 0.</summary>
    private static bool HasZeroOffset(ReadOnlySpan<byte> block)
    {
        int ip = 0;
        while (ip < block.Length)
        {
            int token = block[ip++];
            int literals = token >> 4;
            if (literals == 15)
            {
                byte b;
                do
                {
                    b = block[ip++];
                    literals += b;
                }
                while (b == 255);
            }

            ip += literals;
            if (ip >= block.Length)
            {
                return false;
            }

            if (block[ip] == 0 && block[ip + 1] == 0)
            {
                return true;
            }

            ip += 2;
            if ((token & 15) == 15)
            {
                while (block[ip++] == 255)
                {
                }
            }
        }

        return false;
    }

    private static void AssertSameBlock(ReadOnlySpan<byte> data)
    {
        int bound = Lz4Block.MaxCompressedLength(data.Length);
        byte[] theirs = new byte[bound];
        byte[] ours = new byte[bound];
        int expected = Liblz4.Compress(data, theirs);
        Assert.True(Lz4Block.TryCompress(data, ours, out int written));
        if (expected != written || !theirs.AsSpan(0, expected).SequenceEqual(ours.AsSpan(0, written)))
        {
            int at = theirs.AsSpan(0, expected).CommonPrefixLength(ours.AsSpan(0, written));
            Assert.Fail($"{data.Length} bytes: liblz4 wrote {expected}, ours {written}, first difference at {at}");
        }

        byte[] output = new byte[data.Length];
        Assert.True(Lz4Block.TryDecompress(ours.AsSpan(0, written), output, out int decoded));
        Assert.Equal(data.Length, decoded);
        Assert.True(output.AsSpan().SequenceEqual(data));
    }
}
