using System.Text;
using K4os.Compression.LZ4;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// The mixed, realistic corpus the LZ4 benchmarks compress: 256 KiB made of 16 KiB segments of
/// source text (this repository's C#), the library's own dll, zeros and random bytes
/// (6 : 6 : 2 : 2), in a fixed interleaved order; and the chunking of it into equal pieces.
/// </summary>
internal static class Lz4Corpus
{
    /// <summary>Corpus length; every benchmark invocation processes all of it.</summary>
    public const int Length = 256 * 1024;

    private const int Segment = 16 * 1024;

    private static readonly Lazy<byte[]> Data = new(Build);

    public static byte[] Bytes => Data.Value;

    /// <summary>Chunk lengths measured.</summary>
    public static int[] ChunkSizes => [512, 4096, 65536];

    /// <summary>Compressed bytes over original bytes with <paramref name="chunk"/>-byte pieces (lower is better).</summary>
    public static unsafe double Ratio(int chunk, Lz4Compressor compressor)
    {
        byte[] data = Bytes;
        byte[] target = new byte[Lz4Block.MaxCompressedLength(chunk)];
        long total = 0;
        for (int at = 0; at < data.Length; at += chunk)
        {
            int n;
            if (compressor == Lz4Compressor.Liblz4)
            {
                fixed (byte* s = &data[at])
                fixed (byte* d = target)
                {
                    n = Lz4Anchor.CompressDefault(s, d, chunk, target.Length);
                }
            }
            else if (compressor == Lz4Compressor.K4os)
            {
                n = LZ4Codec.Encode(data.AsSpan(at, chunk), target, LZ4Level.L00_FAST);
            }
            else
            {
                Lz4Block.TryCompress(data.AsSpan(at, chunk), target, out n);
            }

            total += n;
        }

        return (double)total / data.Length;
    }

    private static byte[] Build()
    {
        byte[] text = SourceText();
        byte[] dll = File.ReadAllBytes(typeof(Lz4Block).Assembly.Location);
        byte[] random = new byte[2 * Segment];
        new Random(1234).NextBytes(random);

        // t = text, d = dll, z = zeros, r = random.
        const string order = "tdtdzrtdtdtzdrdt";
        byte[] corpus = new byte[Length];
        int textAt = 0, dllAt = 0, randomAt = 0;
        for (int i = 0; i < order.Length; i++)
        {
            Span<byte> segment = corpus.AsSpan(i * Segment, Segment);
            switch (order[i])
            {
                case 't':
                    Take(text, ref textAt, segment);
                    break;
                case 'd':
                    Take(dll, ref dllAt, segment);
                    break;
                case 'r':
                    Take(random, ref randomAt, segment);
                    break;
                default:
                    segment.Clear();
                    break;
            }
        }

        return corpus;
    }

    private static void Take(byte[] from, ref int at, Span<byte> into)
    {
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = from[at];
            at = (at + 1) % from.Length;
        }
    }

    private static byte[] SourceText()
    {
        string? root = AppContext.BaseDirectory;
        for (var d = new DirectoryInfo(root); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ReNESENS.DataPlane.sln")))
            {
                var sb = new StringBuilder();
                foreach (string file in Directory.EnumerateFiles(Path.Combine(d.FullName, "src", "ReNESENS.DataPlane"), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    sb.Append(File.ReadAllText(file));
                }

                return Encoding.UTF8.GetBytes(sb.ToString());
            }
        }

        throw new InvalidOperationException("The repository root (ReNESENS.DataPlane.sln) is not above the benchmark folder: the text part of the corpus comes from its sources.");
    }
}

/// <summary>The LZ4 fast compressors measured.</summary>
internal enum Lz4Compressor
{
    /// <summary>liblz4's LZ4_compress_default (the anchor).</summary>
    Liblz4,

    /// <summary>Lz4Block.TryCompress.</summary>
    Ours,

    /// <summary>K4os LZ4Codec.Encode, fast level.</summary>
    K4os,
}
