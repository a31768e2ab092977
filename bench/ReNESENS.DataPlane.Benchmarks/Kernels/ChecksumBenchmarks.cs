using System.IO.Hashing;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// Our checksum kernels beside ISA-L (Debian's libisal2 2.30, its own multibinary dispatch picks the
/// AVX-512/VPCLMULQDQ "by16_10" kernels on this CPU) and System.IO.Hashing 11, on the same 64-byte
/// aligned native buffer. The ISA-L call of each category is the baseline, so Ratio reads "ours vs
/// ISA-L" (below 1 = faster). ISA-L has no CRC-64/NVMe: <c>crc64_ecma_refl</c> (CRC-64/XZ, the same
/// reflected 64-bit folding with other constants) is the speed anchor for 64-bit folding. The
/// Internet checksum has no ISA-L anchor; its baseline is our scalar path.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ChecksumBenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public unsafe class ChecksumBenchmarks
{
    private byte* _buffer;

    /// <summary>Bytes per call: a small PDU, a 4 KiB logical block, a 64 KiB transfer.</summary>
    [Params(512, 4096, 65536)]
    public int Size { get; set; }

    private ReadOnlySpan<byte> Data => new(_buffer, Size);

    /// <summary>Random bytes in a 64-byte aligned native buffer shared by every call.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)Size, 64);
        new Random(42).NextBytes(new Span<byte>(_buffer, Size));
        if (Crc32C.Compute(Data) != ~IsalAnchor.Crc32Iscsi(_buffer, Size, 0xFFFFFFFF)
            || Crc16T10Dif.Compute(Data) != IsalAnchor.Crc16T10Dif(0, _buffer, (ulong)Size))
        {
            throw new InvalidOperationException("our CRCs and ISA-L disagree");
        }
    }

    /// <summary>Frees the buffer.</summary>
    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_buffer);

    [Benchmark(Baseline = true, Description = "ISA-L crc32_iscsi"), BenchmarkCategory("CRC32C")]
    public uint Crc32CIsaL() => IsalAnchor.Crc32Iscsi(_buffer, Size, 0xFFFFFFFF);

    [Benchmark(Description = "Crc32C.Compute"), BenchmarkCategory("CRC32C")]
    public uint Crc32COurs() => Crc32C.Compute(Data);

    [Benchmark(Description = "S.IO.Hashing Crc32C"), BenchmarkCategory("CRC32C")]
    public uint Crc32CSystem() => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, Data);

    [Benchmark(Baseline = true, Description = "ISA-L crc16_t10dif"), BenchmarkCategory("CRC16/T10-DIF")]
    public ushort Crc16IsaL() => IsalAnchor.Crc16T10Dif(0, _buffer, (ulong)Size);

    [Benchmark(Description = "Crc16T10Dif.Compute"), BenchmarkCategory("CRC16/T10-DIF")]
    public ushort Crc16Ours() => Crc16T10Dif.Compute(Data);

    [Benchmark(Baseline = true, Description = "ISA-L crc64_ecma_refl"), BenchmarkCategory("CRC64")]
    public ulong Crc64IsaL() => IsalAnchor.Crc64EcmaRefl(0, _buffer, (ulong)Size);

    [Benchmark(Description = "Crc64Nvme.Compute"), BenchmarkCategory("CRC64")]
    public ulong Crc64Ours() => Crc64Nvme.Compute(Data);

    [Benchmark(Description = "S.IO.Hashing Crc64 Nvme"), BenchmarkCategory("CRC64")]
    public ulong Crc64System() => Crc64.HashToUInt64(Crc64ParameterSet.Nvme, Data);

    [Benchmark(Baseline = true, Description = "InternetChecksum scalar"), BenchmarkCategory("Internet checksum")]
    public ushort InternetScalar() => InternetChecksum.FinishLittleEndian(InternetChecksum.SumScalar(Data));

    [Benchmark(Description = "InternetChecksum.Compute"), BenchmarkCategory("Internet checksum")]
    public ushort InternetOurs() => InternetChecksum.Compute(Data);
}

/// <summary>One launch, 3 warmup and 9 measured iterations: the whole matrix in a few minutes on 2 shared cores.</summary>
public sealed class ChecksumBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public ChecksumBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(9).WithId("Short"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}

/// <summary>
/// ISA-L's CRC entry points (libisal.so.2). Bench code may P/Invoke (the library's rule is that only
/// its Interop folder does). SuppressGCTransition gives the anchor its best case: these are short,
/// non-blocking leaf calls that never call back, so the GC-mode switch is not needed.
/// </summary>
internal static unsafe partial class IsalAnchor
{
    private const string Library = "libisal.so.2";

    /// <summary>Raw CRC-32C register in and out (no inversion inside).</summary>
    [LibraryImport(Library, EntryPoint = "crc32_iscsi")]
    [SuppressGCTransition]
    public static partial uint Crc32Iscsi(byte* buffer, int length, uint init);

    /// <summary>CRC-16/T10-DIF (no inversion).</summary>
    [LibraryImport(Library, EntryPoint = "crc16_t10dif")]
    [SuppressGCTransition]
    public static partial ushort Crc16T10Dif(ushort init, byte* buffer, ulong length);

    /// <summary>CRC-64/XZ (inverts on entry and exit).</summary>
    [LibraryImport(Library, EntryPoint = "crc64_ecma_refl")]
    [SuppressGCTransition]
    public static partial ulong Crc64EcmaRefl(ulong init, byte* buffer, ulong length);
}
