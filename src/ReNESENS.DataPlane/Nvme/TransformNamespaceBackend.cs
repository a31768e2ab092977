using System.Collections.Concurrent;
using System.Security.Cryptography;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// A namespace stored compressed and encrypted at rest through an offload engine. The namespace is cut
/// into chunks of <see cref="ChunkBytes"/> bytes of data; a chunk is written through a write chain
/// (type 1 PI with the 16-bit guard generated into an 8-byte metadata field after each block, interleaved,
/// then LZ4, then AES-XTS with tweak = the chunk's first LBA) into a <see cref="TransformSlotStore"/> slot,
/// and read back through a read chain (decrypt, decompress, PI verify), so every read checks PI. A
/// partial-chunk write reads, modifies and writes the chunk; never-written and deallocated chunks read as zeros.
/// </summary>
/// <remarks>
/// Threading: calls come from every connection thread at once. Each call borrows a worker (one engine
/// queue pair with its own scratch region) from a pool, so a queue pair is only used by one thread at a
/// time and its op buffers are left alone until the op's completion is polled. Chunks are serialised
/// by striped locks, which makes each chunk's read-modify-write atomic.
/// </remarks>
internal sealed class TransformNamespaceBackend : NamespaceBackend
{
    /// <summary>Data bytes per chunk.</summary>
    public const int ChunkBytes = 4096;

    /// <summary>Bytes of metadata (all PI) per block.</summary>
    public const int MetadataBytes = 8;

    private const int LockStripes = 256;

    private readonly IOffloadEngine _engine;
    private readonly bool _ownsEngine;
    private readonly OffloadKey _key;
    private readonly int _blockSize;
    private readonly int _blocksPerChunk;
    private readonly long _blockCount;
    private readonly int _maxPayload;
    private readonly ProtectionInformationFormat _format;
    private readonly Lock[] _stripes = new Lock[LockStripes];
    private readonly ConcurrentBag<Worker> _idle = [];
    private readonly SemaphoreSlim _workerSlots;
    private readonly ConcurrentQueue<Worker> _all = new();

    public TransformNamespaceBackend(long capacity, int blockSize, NvmeNamespaceTransformOptions options)
    {
        byte[] key;
        try
        {
            key = Convert.FromHexString(options.Key);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("The transform key is not hexadecimal.", nameof(options), e);
        }

        if (key.Length != 64)
        {
            throw new ArgumentException($"The transform key is {key.Length} bytes; AES-256-XTS needs 64 (128 hex digits).", nameof(options));
        }

        Capacity = capacity;
        _blockSize = blockSize;
        _blocksPerChunk = ChunkBytes / blockSize;
        _blockCount = capacity / blockSize;
        _format = new ProtectionInformationFormat(blockSize, MetadataBytes, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1, Interleaved: true);
        _maxPayload = Math.Max(Lz4Block.MaxCompressedLength(_blocksPerChunk * _format.DataStride), AesXts.MinBlockSize);
        long chunks = (_blockCount + _blocksPerChunk - 1) / _blocksPerChunk;
        long storeSize = options.StoreSizeBytes > 0 ? options.StoreSizeBytes : chunks * RoundUp(_maxPayload, TransformSlotStore.UnitSize);
        for (int i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new Lock();
        }

        _ownsEngine = options.Engine is null;
        _engine = options.Engine ?? OffloadEngines.Open().Engine;
        try
        {
            _key = _engine.LoadKey(OffloadKeyKind.AesXts256, key);
            Store = new TransformSlotStore(storeSize, chunks, _maxPayload);
        }
        catch
        {
            if (_ownsEngine)
            {
                _engine.Dispose();
            }

            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _workerSlots = new SemaphoreSlim(Math.Clamp(_engine.Capabilities.MaxQueuePairs, 1, Math.Max(2, Environment.ProcessorCount * 2)));
    }

    public override long Capacity { get; }

    public override bool NeedsWholeCommands => true;

    /// <summary>The at-rest store (for statistics and tests).</summary>
    public TransformSlotStore Store { get; }

    /// <summary>Logical blocks per chunk.</summary>
    public int BlocksPerChunk => _blocksPerChunk;

    /// <summary>The interleaved PI layout of a chunk's plaintext.</summary>
    public ProtectionInformationFormat Format => _format;

    public override ushort Read(long offset, Span<byte> destination)
    {
        if (!IsBlockAligned(offset, destination.Length))
        {
            return NvmeStatus.InvalidField | NvmeStatus.DoNotRetry;
        }

        Worker worker = Rent();
        try
        {
            while (!destination.IsEmpty)
            {
                long block = offset / _blockSize;
                long chunk = block / _blocksPerChunk;
                int first = (int)(block - (chunk * _blocksPerChunk));
                int blocks = Math.Min(BlocksIn(chunk) - first, destination.Length / _blockSize);
                lock (Stripe(chunk))
                {
                    ushort status = LoadChunk(worker, chunk, out bool stored);
                    if (status != NvmeStatus.Success)
                    {
                        return status;
                    }

                    for (int i = 0; i < blocks; i++)
                    {
                        Span<byte> target = destination.Slice(i * _blockSize, _blockSize);
                        if (stored)
                        {
                            worker.Plain.Span.Slice((first + i) * _format.DataStride, _blockSize).CopyTo(target);
                        }
                        else
                        {
                            target.Clear();
                        }
                    }
                }

                destination = destination[(blocks * _blockSize)..];
                offset += (long)blocks * _blockSize;
            }

            return NvmeStatus.Success;
        }
        finally
        {
            Return(worker);
        }
    }

    public override ushort Write(long offset, ReadOnlySpan<byte> source, bool forceUnitAccess)
        => Update(offset, source.Length, source);

    public override ushort WriteZeroes(long offset, long length)
    {
        while (length > 0)
        {
            int piece = (int)Math.Min(length, 1 << 30);
            ushort status = Update(offset, piece, default);
            if (status != NvmeStatus.Success)
            {
                return status;
            }

            offset += piece;
            length -= piece;
        }

        return NvmeStatus.Success;
    }

    public override void Flush()
    {
        // The store is memory: a completed write is as durable as it gets.
    }

    public override void Dispose()
    {
        while (_all.TryDequeue(out Worker? worker))
        {
            worker.Dispose();
        }

        _engine.UnloadKey(_key);
        if (_ownsEngine)
        {
            _engine.Dispose();
        }

        Store.Dispose();
        _workerSlots.Dispose();
    }

    private static long RoundUp(long value, int unit) => (value + unit - 1) / unit * unit;

    /// <summary>Writes <paramref name="length"/> bytes at <paramref name="offset"/>: <paramref name="source"/>, or zeros when it is empty.</summary>
    private ushort Update(long offset, int length, ReadOnlySpan<byte> source)
    {
        if (!IsBlockAligned(offset, length))
        {
            return NvmeStatus.InvalidField | NvmeStatus.DoNotRetry;
        }

        bool zeros = source.IsEmpty;
        Worker worker = Rent();
        try
        {
            while (length > 0)
            {
                long block = offset / _blockSize;
                long chunk = block / _blocksPerChunk;
                int first = (int)(block - (chunk * _blocksPerChunk));
                int inChunk = BlocksIn(chunk);
                int blocks = Math.Min(inChunk - first, length / _blockSize);
                lock (Stripe(chunk))
                {
                    ushort status = UpdateChunk(worker, chunk, first, blocks, inChunk, zeros ? default : source[..(blocks * _blockSize)]);
                    if (status != NvmeStatus.Success)
                    {
                        return status;
                    }
                }

                if (!zeros)
                {
                    source = source[(blocks * _blockSize)..];
                }

                length -= blocks * _blockSize;
                offset += (long)blocks * _blockSize;
            }

            return NvmeStatus.Success;
        }
        finally
        {
            Return(worker);
        }
    }

    /// <summary>Replaces blocks [<paramref name="first"/>, +<paramref name="blocks"/>) of a chunk (zeros when <paramref name="source"/> is empty). Under the chunk's lock.</summary>
    private ushort UpdateChunk(Worker worker, long chunk, int first, int blocks, int inChunk, ReadOnlySpan<byte> source)
    {
        bool whole = first == 0 && blocks == inChunk;
        bool stored = false;
        if (!whole)
        {
            ushort status = LoadChunk(worker, chunk, out stored);
            if (status != NvmeStatus.Success)
            {
                return status;
            }
        }

        if (source.IsEmpty && (whole || !stored))
        {
            // Zeros over a whole chunk or over a chunk that already reads as zeros: nothing to store.
            Store.Clear(chunk);
            return NvmeStatus.Success;
        }

        Span<byte> plain = worker.Plain.Span[..(inChunk * _format.DataStride)];
        if (!stored && !whole)
        {
            plain.Clear();
        }

        for (int i = 0; i < blocks; i++)
        {
            Span<byte> target = plain.Slice((first + i) * _format.DataStride, _blockSize);
            if (source.IsEmpty)
            {
                target.Clear();
            }
            else
            {
                source.Slice(i * _blockSize, _blockSize).CopyTo(target);
            }
        }

        ulong lba = (ulong)(chunk * _blocksPerChunk);
        OffloadOp op = OffloadOp.Write(
            OffloadChainSteps.All, _key, worker.Plain.Slice(0, plain.Length), default, worker.Payload, lba, _format, new ProtectionInformationTags(lba), userData: (ulong)chunk);
        OffloadCompletion done = worker.Run(op);
        if (!done.IsSuccess)
        {
            return NvmeStatus.InternalError;
        }

        return Store.TryPut(chunk, worker.Payload.Span[..done.BytesProduced], (int)done.Value)
            ? NvmeStatus.Success
            : NvmeStatus.CapacityExceeded;
    }

    /// <summary>Decodes a chunk into the worker's plaintext buffer, checking its PI; <paramref name="stored"/> false when it reads as zeros. Under the chunk's lock.</summary>
    private ushort LoadChunk(Worker worker, long chunk, out bool stored)
    {
        stored = Store.TryGet(chunk, out DmaSlice payload, out int compressedLength);
        if (!stored)
        {
            return NvmeStatus.Success;
        }

        ulong lba = (ulong)(chunk * _blocksPerChunk);
        OffloadOp op = OffloadOp.Read(
            OffloadChainSteps.All, _key, payload, compressedLength, worker.Plain.Slice(0, BlocksIn(chunk) * _format.DataStride), default,
            lba, _format, new ProtectionInformationTags(lba), ProtectionInformationChecks.All, userData: (ulong)chunk);
        return ToNvmeStatus(worker.Run(op).Status);
    }

    /// <summary>The NVMe status for a read chain's outcome (NVM Command Set: end-to-end errors are media and data integrity errors).</summary>
    private static ushort ToNvmeStatus(OffloadStatus status) => status switch
    {
        OffloadStatus.Success => NvmeStatus.Success,
        OffloadStatus.PiGuardError => NvmeStatus.GuardCheckError | NvmeStatus.DoNotRetry,
        OffloadStatus.PiAppTagError => NvmeStatus.ApplicationTagCheckError | NvmeStatus.DoNotRetry,
        OffloadStatus.PiRefTagError => NvmeStatus.ReferenceTagCheckError | NvmeStatus.DoNotRetry,
        OffloadStatus.CorruptData or OffloadStatus.AuthenticationFailed => NvmeStatus.UnrecoveredReadError | NvmeStatus.DoNotRetry,
        _ => NvmeStatus.InternalError,
    };

    /// <summary>True for whole blocks (the contract of <see cref="NeedsWholeCommands"/>; a split call would never finish a block).</summary>
    private bool IsBlockAligned(long offset, long length) => offset % _blockSize == 0 && length % _blockSize == 0;

    private int BlocksIn(long chunk) => (int)Math.Min(_blocksPerChunk, _blockCount - (chunk * _blocksPerChunk));

    private Lock Stripe(long chunk) => _stripes[(int)(chunk % LockStripes)];

    private Worker Rent()
    {
        _workerSlots.Wait();
        if (_idle.TryTake(out Worker? worker))
        {
            return worker;
        }

        try
        {
            worker = new Worker(_engine, _blocksPerChunk * _format.DataStride, _maxPayload);
        }
        catch
        {
            _workerSlots.Release();
            throw;
        }

        _all.Enqueue(worker);
        return worker;
    }

    private void Return(Worker worker)
    {
        _idle.Add(worker);
        _workerSlots.Release();
    }

    /// <summary>One engine queue pair and its op buffers, used by one thread at a time.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly IOffloadQueuePair _queue;
        private readonly DmaRegion _region;
        private readonly OffloadOp[] _ops = new OffloadOp[1];
        private readonly OffloadCompletion[] _completions = new OffloadCompletion[1];

        public Worker(IOffloadEngine engine, int plainBytes, int payloadBytes)
        {
            _region = DmaRegion.Create(plainBytes + payloadBytes, PageKind.Small, lockMemory: false, name: "renesens-nvme-xform-io");
            try
            {
                _queue = engine.CreateQueuePair(1);
            }
            catch
            {
                _region.Dispose();
                throw;
            }

            Plain = new DmaSlice(_region, 0, plainBytes);
            Payload = new DmaSlice(_region, plainBytes, payloadBytes);
        }

        /// <summary>A chunk's plaintext: extended blocks (data then PI).</summary>
        public DmaSlice Plain { get; }

        /// <summary>A chunk's stored payload as the write chain produces it.</summary>
        public DmaSlice Payload { get; }

        /// <summary>Submits one op and waits for its completion; the buffers are the engine's until then.</summary>
        public OffloadCompletion Run(in OffloadOp op)
        {
            _ops[0] = op;
            while (_queue.Submit(_ops) == 0)
            {
                Thread.Yield();
            }

            var spin = default(SpinWait);
            while (_queue.Poll(_completions) == 0)
            {
                spin.SpinOnce();
            }

            return _completions[0];
        }

        public void Dispose()
        {
            _queue.Dispose();
            _region.Dispose();
        }
    }
}
