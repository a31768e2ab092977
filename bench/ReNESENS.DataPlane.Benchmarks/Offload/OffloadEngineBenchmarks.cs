using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using ReNESENS.DataPlane.Benchmarks.Kernels;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// The inline <see cref="SoftwareEngine"/> against the same kernels called directly, per 4 KiB
/// operation on one core: a CRC32C (the engine's fixed cost per op, one at a time and in batches of
/// 32), the write chain (PI generate, LZ4 compress, XTS encrypt) and the read chain (XTS decrypt,
/// LZ4 decompress, PI verify) over the 64 blocks of the LZ4 benchmarks' mixed corpus. The direct
/// calls are each category's baseline, so Ratio is the engine's overhead; 1 / Mean is operations per
/// second per core.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(OffloadBenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OffloadEngineBenchmarks : IDisposable
{
    private const int Block = 4096;
    private const int Blocks = 64;
    private const int Slot = Block + 64; // a stored payload: LZ4's bound of 4 KiB is 4096 + 16 + 16

    private static readonly ProtectionInformationFormat Format = new(Block, 16, ProtectionInformationGuard.Crc64, ProtectionInformationType.Type1);

    private readonly OffloadOp[] _crcOne = new OffloadOp[1];
    private readonly OffloadOp[] _crcBatch = new OffloadOp[32];
    private readonly OffloadOp[] _writes = new OffloadOp[Blocks];
    private readonly OffloadOp[] _reads = new OffloadOp[Blocks];
    private readonly OffloadCompletion[] _done = new OffloadCompletion[Blocks];
    private readonly int[] _packed = new int[Blocks];
    private DmaRegion _region = null!;
    private SoftwareEngine _engine = null!;
    private IOffloadQueuePair _qp = null!;
    private AesXts _xts = null!;
    private byte[] _scratch = [];
    private Memory<byte> _data;
    private Memory<byte> _metadata;
    private Memory<byte> _stored;
    private Memory<byte> _back;

    /// <summary>The corpus, metadata, payload and read-back areas in one region; the key; one queue pair.</summary>
    [GlobalSetup]
    public void Setup()
    {
        const long DataAt = 0, MetadataAt = Blocks * Block, StoredAt = 2 * Blocks * Block, BackAt = 4 * Blocks * Block;
        _region = DmaRegion.Create(5 * Blocks * Block, PageKind.Small);
        Lz4Corpus.Bytes.AsSpan(0, Blocks * Block).CopyTo(_region.GetSpan(DataAt, Blocks * Block));
        _data = _region.GetMemory(DataAt, Blocks * Block);
        _metadata = _region.GetMemory(MetadataAt, Blocks * 16);
        _stored = _region.GetMemory(StoredAt, Blocks * Slot);
        _back = _region.GetMemory(BackAt, Blocks * Block);
        _scratch = new byte[Slot];

        byte[] key = new byte[64];
        new Random(7).NextBytes(key);
        _xts = new AesXts(key);
        _engine = new SoftwareEngine();
        _qp = _engine.CreateQueuePair(Blocks);
        OffloadKey handle = _engine.LoadKey(OffloadKeyKind.AesXts256, key);

        var first = new DmaSlice(_region, DataAt, Block);
        _crcOne[0] = OffloadOp.Crc(OffloadOpKind.Crc32C, first, 0);
        for (int i = 0; i < _crcBatch.Length; i++)
        {
            _crcBatch[i] = OffloadOp.Crc(OffloadOpKind.Crc32C, new DmaSlice(_region, DataAt + (i * Block), Block), (ulong)i);
        }

        for (int i = 0; i < Blocks; i++)
        {
            _writes[i] = OffloadOp.Write(
                OffloadChainSteps.All, handle, new DmaSlice(_region, DataAt + (i * Block), Block), new DmaSlice(_region, MetadataAt + (i * 16), 16),
                new DmaSlice(_region, StoredAt + (i * Slot), Slot), (ulong)i, Format, default, (ulong)i);
        }

        _qp.Submit(_writes);
        _qp.Poll(_done);
        for (int i = 0; i < Blocks; i++)
        {
            if (!_done[i].IsSuccess)
            {
                throw new InvalidOperationException($"write {i}: {_done[i].Status}");
            }

            _packed[i] = (int)_done[i].Value;
            _reads[i] = OffloadOp.Read(
                OffloadChainSteps.All, handle, new DmaSlice(_region, StoredAt + (i * Slot), _done[i].BytesProduced), _packed[i],
                new DmaSlice(_region, BackAt + (i * Block), Block), new DmaSlice(_region, MetadataAt + (i * 16), 16), (ulong)i, Format, default,
                ProtectionInformationChecks.All, (ulong)i);
        }

        _qp.Submit(_reads);
        if (_qp.Poll(_done) != Blocks || _done.Any(d => !d.IsSuccess) || !_back.Span.SequenceEqual(_data.Span))
        {
            throw new InvalidOperationException("the read chain did not give the data back");
        }
    }

    /// <summary>Releases the engine, cipher and region.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _qp.Dispose();
        _engine.Dispose();
        _xts.Dispose();
        _region.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "Crc32C.Compute (direct)"), BenchmarkCategory("CRC32C 4 KiB")]
    public uint Crc32CDirect() => Crc32C.Compute(_data.Span[..Block]);

    [Benchmark(Description = "engine, 1 op per submit+poll"), BenchmarkCategory("CRC32C 4 KiB")]
    public ulong Crc32CEngineOne()
    {
        _qp.Submit(_crcOne);
        _qp.Poll(_done);
        return _done[0].Value;
    }

    [Benchmark(Description = "engine, batch of 32", OperationsPerInvoke = 32), BenchmarkCategory("CRC32C 4 KiB")]
    public ulong Crc32CEngineBatch()
    {
        _qp.Submit(_crcBatch);
        _qp.Poll(_done);
        return _done[31].Value;
    }

    [Benchmark(Baseline = true, Description = "write: kernels called directly", OperationsPerInvoke = Blocks), BenchmarkCategory("Write chain 4 KiB")]
    public int WriteDirect()
    {
        Span<byte> data = _data.Span;
        Span<byte> md = _metadata.Span;
        Span<byte> stored = _stored.Span;
        int total = 0;
        for (int i = 0; i < Blocks; i++)
        {
            Span<byte> block = data.Slice(i * Block, Block);
            ProtectionInformation.Generate(block, md.Slice(i * 16, 16), Format, new ProtectionInformationTags((ulong)i));
            Lz4Block.TryCompress(block, _scratch, out int packed);
            int payload = Math.Max(packed, 16);
            _scratch.AsSpan(packed, payload - packed).Clear();
            _xts.Encrypt(_scratch.AsSpan(0, payload), stored.Slice(i * Slot, payload), (ulong)i, payload);
            total += payload;
        }

        return total;
    }

    [Benchmark(Description = "write: engine, batch of 64", OperationsPerInvoke = Blocks), BenchmarkCategory("Write chain 4 KiB")]
    public int WriteEngine()
    {
        _qp.Submit(_writes);
        _qp.Poll(_done);
        return _done[Blocks - 1].BytesProduced;
    }

    [Benchmark(Baseline = true, Description = "read: kernels called directly", OperationsPerInvoke = Blocks), BenchmarkCategory("Read chain 4 KiB")]
    public bool ReadDirect()
    {
        ReadOnlySpan<byte> md = _metadata.Span;
        ReadOnlySpan<byte> stored = _stored.Span;
        Span<byte> back = _back.Span;
        bool ok = true;
        for (int i = 0; i < Blocks; i++)
        {
            int length = _reads[i].Source.Length;
            _xts.Decrypt(stored.Slice(i * Slot, length), _scratch.AsSpan(0, length), (ulong)i, length);
            Span<byte> block = back.Slice(i * Block, Block);
            ok &= Lz4Block.TryDecompress(_scratch.AsSpan(0, _packed[i]), block, out _);
            ok &= ProtectionInformation.Verify(block, md.Slice(i * 16, 16), Format, new ProtectionInformationTags((ulong)i)).IsValid;
        }

        return ok;
    }

    [Benchmark(Description = "read: engine, batch of 64", OperationsPerInvoke = Blocks), BenchmarkCategory("Read chain 4 KiB")]
    public OffloadStatus ReadEngine()
    {
        _qp.Submit(_reads);
        _qp.Poll(_done);
        return _done[Blocks - 1].Status;
    }
}
