using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using K4os.Compression.LZ4;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// LZ4 block compress and decompress of the mixed corpus (<see cref="Lz4Corpus"/>) cut into
/// 512 B, 4 KiB or 64 KiB chunks: ours (<see cref="Lz4Block"/>, our own codec) and K4os
/// (<c>LZ4Codec</c> directly, the library's previous software path) against liblz4's
/// <c>LZ4_compress_default</c> / <c>LZ4_decompress_safe</c> (the baseline of each category).
/// Every invocation processes the whole 256 KiB corpus; every decompressor decodes liblz4's
/// output. Extra columns: MB/s of original data, and compressed/original size.
/// </summary>
[Config(typeof(Lz4BenchmarkConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class Lz4Benchmarks
{
    private byte[] _data = null!;
    private byte[] _compressed = null!;
    private int[] _compressedLengths = null!;
    private byte[] _target = null!;
    private byte[] _output = null!;

    /// <summary>Chunk length.</summary>
    [ParamsSource(nameof(ChunkSizes))]
    public int Chunk { get; set; }

    /// <summary>The chunk lengths.</summary>
    public static IEnumerable<int> ChunkSizes => Lz4Corpus.ChunkSizes;

    /// <summary>Builds the corpus, compresses it with liblz4 for the decompress benchmarks, checks both decoders.</summary>
    [GlobalSetup]
    public unsafe void Setup()
    {
        _data = Lz4Corpus.Bytes;
        int bound = Lz4Block.MaxCompressedLength(Chunk);
        int chunks = _data.Length / Chunk;
        _compressed = new byte[chunks * bound];
        _compressedLengths = new int[chunks];
        _target = new byte[bound];
        _output = new byte[_data.Length];
        for (int i = 0; i < chunks; i++)
        {
            fixed (byte* s = &_data[i * Chunk])
            fixed (byte* d = &_compressed[i * bound])
            {
                _compressedLengths[i] = Lz4Anchor.CompressDefault(s, d, Chunk, bound);
            }
        }

        if (DecompressOurs() != _data.Length || !_output.AsSpan().SequenceEqual(_data)
            || DecompressK4os() != _data.Length || !_output.AsSpan().SequenceEqual(_data)
            || DecompressLiblz4() != _data.Length || !_output.AsSpan().SequenceEqual(_data))
        {
            throw new InvalidOperationException("a decoder did not give the corpus back");
        }
    }

    /// <summary>liblz4 LZ4_compress_default, chunk by chunk.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Compress")]
    public unsafe long CompressLiblz4()
    {
        long total = 0;
        fixed (byte* s = _data)
        fixed (byte* d = _target)
        {
            for (int at = 0; at < _data.Length; at += Chunk)
            {
                total += Lz4Anchor.CompressDefault(s + at, d, Chunk, _target.Length);
            }
        }

        return total;
    }

    /// <summary>Lz4Block.TryCompress (ours, fast level), chunk by chunk.</summary>
    [Benchmark]
    [BenchmarkCategory("Compress")]
    public long CompressOurs()
    {
        long total = 0;
        ReadOnlySpan<byte> data = _data;
        for (int at = 0; at < data.Length; at += Chunk)
        {
            Lz4Block.TryCompress(data.Slice(at, Chunk), _target, out int n);
            total += n;
        }

        return total;
    }

    /// <summary>K4os LZ4Codec.Encode at its fast level, chunk by chunk.</summary>
    [Benchmark]
    [BenchmarkCategory("Compress")]
    public long CompressK4os()
    {
        long total = 0;
        ReadOnlySpan<byte> data = _data;
        for (int at = 0; at < data.Length; at += Chunk)
        {
            total += LZ4Codec.Encode(data.Slice(at, Chunk), _target, LZ4Level.L00_FAST);
        }

        return total;
    }

    /// <summary>liblz4 LZ4_decompress_safe of liblz4's chunks.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Decompress")]
    public unsafe long DecompressLiblz4()
    {
        long total = 0;
        int bound = _target.Length;
        fixed (byte* s = _compressed)
        fixed (byte* d = _output)
        {
            for (int i = 0; i < _compressedLengths.Length; i++)
            {
                total += Lz4Anchor.DecompressSafe(s + (i * bound), d + (i * Chunk), _compressedLengths[i], Chunk);
            }
        }

        return total;
    }

    /// <summary>Lz4Block.TryDecompress (ours) of liblz4's chunks.</summary>
    [Benchmark]
    [BenchmarkCategory("Decompress")]
    public long DecompressOurs()
    {
        long total = 0;
        int bound = _target.Length;
        ReadOnlySpan<byte> compressed = _compressed;
        Span<byte> output = _output;
        for (int i = 0; i < _compressedLengths.Length; i++)
        {
            Lz4Block.TryDecompress(compressed.Slice(i * bound, _compressedLengths[i]), output.Slice(i * Chunk, Chunk), out int n);
            total += n;
        }

        return total;
    }

    /// <summary>K4os LZ4Codec.Decode of liblz4's chunks.</summary>
    [Benchmark]
    [BenchmarkCategory("Decompress")]
    public long DecompressK4os()
    {
        long total = 0;
        int bound = _target.Length;
        ReadOnlySpan<byte> compressed = _compressed;
        Span<byte> output = _output;
        for (int i = 0; i < _compressedLengths.Length; i++)
        {
            total += LZ4Codec.Decode(compressed.Slice(i * bound, _compressedLengths[i]), output.Slice(i * Chunk, Chunk));
        }

        return total;
    }
}

/// <summary>Short runs (1 launch, 3 warmup, 7 measured iterations) plus the MB/s and ratio columns.</summary>
public sealed class Lz4BenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public Lz4BenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(7).WithId("Short"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, new ThroughputColumn(), new RatioColumn());
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }

    /// <summary>Original megabytes (10^6 B) per second at the mean.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "Lz4MBps";

        public string ColumnName => "MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Original (uncompressed) MB/s at the mean, 1 MB = 10^6 B";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return mean is double ns and > 0 ? (Lz4Corpus.Length / ns * 1000).ToString("F0", CultureInfo.InvariantCulture) : "?";
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }

    /// <summary>Compressed / original size of the corpus at this chunk length for the compressor measured.</summary>
    private sealed class RatioColumn : IColumn
    {
        public string Id => "Lz4SizeRatio";

        public string ColumnName => "Compressed/Original";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 1;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Compressed bytes / original bytes (compress rows: that compressor; decompress rows: liblz4's output, which all decode)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            int chunk = (int)benchmarkCase.Parameters["Chunk"];
            Lz4Compressor compressor = benchmarkCase.Descriptor.WorkloadMethod.Name switch
            {
                nameof(Lz4Benchmarks.CompressOurs) => Lz4Compressor.Ours,
                nameof(Lz4Benchmarks.CompressK4os) => Lz4Compressor.K4os,
                _ => Lz4Compressor.Liblz4,
            };
            return Lz4Corpus.Ratio(chunk, compressor).ToString("F4", CultureInfo.InvariantCulture);
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
