using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// NVMe PI generate and verify over a 64 KiB run (128 blocks of 512 B or 16 of 4 KiB, separate
/// metadata of 8 or 16 bytes per block), beside the native guard work alone: ISA-L's CRC called once
/// per block over the same blocks (<c>crc16_t10dif</c> for the 16b guard; ISA-L has no CRC-64/NVMe,
/// so <c>crc64_ecma_refl</c>, the same 64-bit reflected folding, anchors the 64b guard). The anchor
/// is the baseline: Ratio is ours / ISA-L time, so it shows what the PI fields and checks cost on
/// top of the CRCs.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ReNESENS.DataPlane.Benchmarks.Offload.OffloadBenchmarkConfig))]
[CategoriesColumn]
public unsafe class ProtectionInformationBenchmarks
{
    private const int RunLength = 64 * 1024;

    private byte* _data;
    private byte[] _metadata = [];
    private ProtectionInformationFormat _format;
    private ProtectionInformationTags _tags;

    /// <summary>Logical block data size.</summary>
    [Params(512, 4096)]
    public int BlockSize { get; set; }

    /// <summary>The guard format.</summary>
    [Params(ProtectionInformationGuard.Crc16, ProtectionInformationGuard.Crc64)]
    public ProtectionInformationGuard Guard { get; set; }

    private int Blocks => RunLength / BlockSize;

    /// <summary>Random data in a 64-byte aligned native buffer, its PI generated once for verify.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = (byte*)NativeMemory.AlignedAlloc(RunLength, 64);
        new Random(42).NextBytes(new Span<byte>(_data, RunLength));
        _format = new ProtectionInformationFormat(BlockSize, Guard == ProtectionInformationGuard.Crc64 ? 16 : 8, Guard, ProtectionInformationType.Type1);
        _metadata = new byte[Blocks * _format.MetadataSize];
        _tags = new ProtectionInformationTags(FirstLba: 1 << 20, ApplicationTag: 0x1234);
        ProtectionInformation.Generate(new Span<byte>(_data, RunLength), _metadata, _format, _tags);
        if (!ProtectionInformation.Verify(new ReadOnlySpan<byte>(_data, RunLength), _metadata, _format, _tags).IsValid
            || (Guard == ProtectionInformationGuard.Crc16 && IsalAnchor.Crc16T10Dif(0, _data, (ulong)BlockSize) != (ushort)((_metadata[0] << 8) | _metadata[1])))
        {
            throw new InvalidOperationException("PI generate, verify and ISA-L disagree");
        }
    }

    /// <summary>Frees the buffer.</summary>
    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_data);

    [Benchmark(Baseline = true, Description = "ISA-L CRC per block (guard work only)")]
    public ulong IsalGuards()
    {
        ulong acc = 0;
        for (int i = 0; i < Blocks; i++)
        {
            acc ^= Guard == ProtectionInformationGuard.Crc16
                ? IsalAnchor.Crc16T10Dif(0, _data + (i * BlockSize), (ulong)BlockSize)
                : IsalAnchor.Crc64EcmaRefl(0, _data + (i * BlockSize), (ulong)BlockSize);
        }

        return acc;
    }

    [Benchmark(Description = "ProtectionInformation.Generate")]
    public void Generate() => ProtectionInformation.Generate(new Span<byte>(_data, RunLength), _metadata, _format, _tags);

    [Benchmark(Description = "ProtectionInformation.Verify")]
    public bool Verify() => ProtectionInformation.Verify(new ReadOnlySpan<byte>(_data, RunLength), _metadata, _format, _tags).IsValid;
}
