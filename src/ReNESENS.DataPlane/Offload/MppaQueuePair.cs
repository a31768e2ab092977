using System.Diagnostics;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// A queue pair of the <see cref="MppaEngine"/>: translates operations into device descriptors,
/// submits them in batches to a device queue pair per region, and turns device completions back
/// into <see cref="OffloadCompletion"/>s. An operation in flight owns a slot; its cookie carries the
/// slot and the slot's sequence number, so a completion that arrives after the slot moved on (the
/// operation was failed over) is recognised and dropped: each operation completes exactly once.
/// </summary>
internal sealed class MppaQueuePair : IOffloadQueuePair
{
    /// <summary>Regions one queue pair keeps a device queue pair for; an operation in a further region runs in software.</summary>
    private const int MaxRegions = 4;

    /// <summary>Descriptors per device submit and completions per device poll.</summary>
    private const int Burst = 32;

    private const byte NoRegion = byte.MaxValue;

    private readonly MppaEngine _engine;
    private readonly IOffloadQueuePair _software;
    private readonly OffloadOp[] _ops;
    private readonly uint[] _sequence;
    private readonly long[] _submittedAt;
    private readonly byte[] _slotRegion;
    private readonly int[] _free;
    private readonly OffloadCompletion[] _ready;
    private readonly OffloadCompletion[] _one = new OffloadCompletion[1];
    private readonly DmaRegion?[] _regions = new DmaRegion?[MaxRegions];
    private readonly DpuQueuePair?[] _device = new DpuQueuePair?[MaxRegions];
    private readonly DpuDescriptor[] _batch = new DpuDescriptor[Burst];
    private readonly int[] _batchSlots = new int[Burst];
    private readonly DpuCompletion[] _polled = new DpuCompletion[Burst];
    private readonly long _timeoutTicks;
    private readonly long _checkInterval;
    private int _freeCount;
    private int _inFlight;
    private int _readyHead;
    private int _readyCount;
    private long _nextTimeoutCheck;
    private bool _disposed;

    private enum Route
    {
        Device,
        Software,
        Unsupported,
    }

    internal MppaQueuePair(MppaEngine engine, int depth)
    {
        _engine = engine;
        _software = engine.Software.CreateQueuePair(depth);
        _ops = new OffloadOp[depth];
        _sequence = new uint[depth];
        _submittedAt = new long[depth];
        _slotRegion = new byte[depth];
        _free = new int[depth];
        _ready = new OffloadCompletion[depth];
        for (int i = 0; i < depth; i++)
        {
            _free[i] = depth - 1 - i;
            _slotRegion[i] = NoRegion;
        }

        _freeCount = depth;
        _timeoutTicks = (long)(engine.Timeout.TotalSeconds * Stopwatch.Frequency);
        _checkInterval = Math.Max(1, Math.Min(_timeoutTicks / 4, Stopwatch.Frequency / 1000));
    }

    /// <inheritdoc />
    public int Depth => _ops.Length;

    /// <inheritdoc />
    public int Outstanding => _inFlight + _readyCount;

    /// <inheritdoc />
    public int Submit(ReadOnlySpan<OffloadOp> operations)
    {
        ThrowIfDisposed();
        int n = Math.Min(operations.Length, Depth - Outstanding);
        int batchCount = 0;
        int batchRegion = -1;
        int batchStart = 0;
        for (int i = 0; i < n; i++)
        {
            ref readonly OffloadOp op = ref operations[i];
            Route route = Translate(in op, out DpuDescriptor descriptor, out int region);
            if (route == Route.Device)
            {
                if (batchCount > 0 && (region != batchRegion || batchCount == Burst))
                {
                    int sent = Flush(batchRegion, batchCount);
                    if (sent < batchCount)
                    {
                        return batchStart + sent;
                    }

                    batchCount = 0;
                }

                if (batchCount == 0)
                {
                    batchStart = i;
                    batchRegion = region;
                }

                int slot = _free[--_freeCount];
                _ops[slot] = op;
                descriptor.Cookie = ((ulong)_sequence[slot] << 32) | (uint)slot;
                _batch[batchCount] = descriptor;
                _batchSlots[batchCount] = slot;
                batchCount++;
                continue;
            }

            if (batchCount > 0)
            {
                int sent = Flush(batchRegion, batchCount);
                if (sent < batchCount)
                {
                    return batchStart + sent;
                }

                batchCount = 0;
            }

            if (route == Route.Unsupported)
            {
                Enqueue(new OffloadCompletion(op.UserData, op.Kind, OffloadStatus.Unsupported, 0, 0, -1, 0, 0));
                _engine.Metrics.Record(op.Kind, OffloadStatus.Unsupported, op.Source.Length);
                _engine.Counters.AddUnsupported();
            }
            else
            {
                RunInSoftware(in op);
                _engine.Counters.AddRouted();
            }
        }

        if (batchCount > 0)
        {
            int sent = Flush(batchRegion, batchCount);
            if (sent < batchCount)
            {
                return batchStart + sent;
            }
        }

        return n;
    }

    /// <inheritdoc />
    public int Poll(Span<OffloadCompletion> completions)
    {
        ThrowIfDisposed();
        if (_inFlight > 0)
        {
            for (int r = 0; r < MaxRegions; r++)
            {
                if (_device[r] is not null)
                {
                    Drain(r);
                }
            }

            if (_inFlight > 0)
            {
                CheckTimeouts();
            }
        }

        int n = Math.Min(completions.Length, _readyCount);
        for (int i = 0; i < n; i++)
        {
            completions[i] = _ready[_readyHead];
            _readyHead = _readyHead + 1 == _ready.Length ? 0 : _readyHead + 1;
        }

        _readyCount -= n;
        return n;
    }

    /// <summary>Destroys the device queue pairs (operations in flight are dropped, like unpolled completions).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (int r = 0; r < MaxRegions; r++)
        {
            _device[r]?.Dispose();
            _device[r] = null;
            _regions[r] = null;
        }

        _software.Dispose();
        _engine.Release(this);
    }

    private static bool Overlap(in DmaSlice a, in DmaSlice b) =>
        !a.IsEmpty && !b.IsEmpty && a.Offset < b.Offset + b.Length && b.Offset < a.Offset + a.Length;

    /// <summary>XTS over whole units of a legal size, equal lengths, the same memory or apart (as the software engine requires).</summary>
    private static bool IsXtsRun(in DmaSlice src, in DmaSlice dst, int unit) =>
        unit is >= AesXts.MinBlockSize and <= AesXts.MaxBlockSize
        && src.Length == dst.Length
        && src.Length % unit == 0
        && (!Overlap(src, dst) || src.Offset == dst.Offset);

    private static bool IsChain(OffloadChainSteps steps) =>
        (steps & ~OffloadChainSteps.All) == 0 && (steps & (OffloadChainSteps.Compression | OffloadChainSteps.Encryption)) != 0;

    /// <summary>Fills the PI fields of <paramref name="d"/>; false when the geometry is not valid (software then answers).</summary>
    private static bool SetPi(ref DpuDescriptor d, in OffloadOp op, int dataLength, int metadataLength)
    {
        ProtectionInformationFormat f = op.PiFormat;
        ProtectionInformation.TryGetBlockCount(f, dataLength, metadataLength, out string? error);
        if (error is not null || f.MetadataSize > ushort.MaxValue)
        {
            return false;
        }

        ProtectionInformationChecks checks = op.PiChecks;
        d.PiFormat = f.Guard == ProtectionInformationGuard.Crc64 ? DpuPiFormat.Guard64 : DpuPiFormat.Guard16;
        d.PiType = (byte)f.Type;
        d.BlockSize = (uint)f.DataSize;
        d.MetaSize = (ushort)f.MetadataSize;
        d.PiLocation = f.PiFirst ? DpuAbi.PiFirst : DpuAbi.PiLast;
        d.MetaMode = f.Interleaved ? DpuAbi.MetaInterleaved : DpuAbi.MetaSeparate;
        d.InitialRefTag = f.Type == ProtectionInformationType.Type1 ? op.PiTags.FirstLba : op.PiTags.InitialReferenceTag;
        d.AppTag = op.PiTags.ApplicationTag;
        d.AppTagMask = op.PiTags.ApplicationTagMask;
        d.PiChecks = (byte)(((checks & ProtectionInformationChecks.Guard) != 0 ? DpuAbi.PiCheckGuard : 0)
            | ((checks & ProtectionInformationChecks.ApplicationTag) != 0 ? DpuAbi.PiCheckApp : 0)
            | ((checks & ProtectionInformationChecks.ReferenceTag) != 0 ? DpuAbi.PiCheckRef : 0));
        return true;
    }

    private static unsafe void SetChain(ref DpuDescriptor d, DpuOp a, DpuOp b = DpuOp.Nop, DpuOp c = DpuOp.Nop)
    {
        // Chain stages in order; Nop marks the end (at most three here, the ABI holds four).
        d.Op = DpuOp.Chain;
        byte n = 0;
        d.ChainOps[n++] = (byte)a;
        if (b != DpuOp.Nop)
        {
            d.ChainOps[n++] = (byte)b;
        }

        if (c != DpuOp.Nop)
        {
            d.ChainOps[n++] = (byte)c;
        }

        d.ChainLength = n;
    }

    private Route Translate(in OffloadOp op, out DpuDescriptor d, out int region)
    {
        d = default;
        region = -1;
        switch (op.Kind)
        {
            case OffloadOpKind.GcmSeal or OffloadOpKind.GcmOpen:
                return Route.Unsupported;
            case OffloadOpKind.None or > OffloadOpKind.ReadChain:
                return Route.Software;
        }

        int maxData = _engine.Capabilities.MaxDataSize;
        if (op.Source.Length > maxData || op.Destination.Length > maxData || !op.Auxiliary.IsEmpty)
        {
            return Route.Software;
        }

        DmaRegion? shared = null;
        if (!SameRegion(op.Source, ref shared) || !SameRegion(op.Destination, ref shared) || !SameRegion(op.Metadata, ref shared)
            || shared is null || (region = RegionIndex(shared)) < 0)
        {
            return Route.Software;
        }

        d.SrcOffset = (ulong)op.Source.Offset;
        d.SrcLength = (uint)op.Source.Length;
        d.DstOffset = (ulong)op.Destination.Offset;
        d.DstCapacity = (uint)op.Destination.Length;
        d.MetaOffset = (ulong)op.Metadata.Offset;
        d.MetaLength = (uint)op.Metadata.Length;
        OffloadChainSteps steps = op.Steps;
        bool pi = (steps & OffloadChainSteps.ProtectionInformation) != 0;
        bool compress = (steps & OffloadChainSteps.Compression) != 0;
        bool encrypt = (steps & OffloadChainSteps.Encryption) != 0;
        uint key = 0;
        switch (op.Kind)
        {
            case OffloadOpKind.Crc32C:
                d.Op = DpuOp.Crc32C;
                return Route.Device;
            case OffloadOpKind.Crc64Nvme:
                d.Op = DpuOp.Crc64Nvme;
                return Route.Device;
            case OffloadOpKind.Crc16T10Dif:
                d.Op = DpuOp.Crc16T10Dif;
                return Route.Device;
            case OffloadOpKind.PiGenerate or OffloadOpKind.PiVerify:
                d.Op = op.Kind == OffloadOpKind.PiGenerate ? DpuOp.PiGenerate : DpuOp.PiVerify;
                return SetPi(ref d, op, op.Source.Length, op.Metadata.Length) && !Overlap(op.Source, op.Metadata) ? Route.Device : Route.Software;
            case OffloadOpKind.Lz4Compress or OffloadOpKind.Lz4Decompress:
                d.Op = op.Kind == OffloadOpKind.Lz4Compress ? DpuOp.Lz4Compress : DpuOp.Lz4Decompress;
                return Overlap(op.Source, op.Destination) ? Route.Software : Route.Device;
            case OffloadOpKind.XtsEncrypt or OffloadOpKind.XtsDecrypt:
                if (!_engine.TryGetDeviceKey(op.Key, out key) || !IsXtsRun(op.Source, op.Destination, op.BlockSize))
                {
                    return Route.Software;
                }

                d.Op = op.Kind == OffloadOpKind.XtsEncrypt ? DpuOp.XtsEncrypt : DpuOp.XtsDecrypt;
                d.KeyHandle = key;
                d.Lba = op.Lba;
                d.CryptoUnit = (uint)op.BlockSize;
                return Route.Device;
        }

        // Chains.
        if (!IsChain(steps) || (encrypt && !_engine.TryGetDeviceKey(op.Key, out key))
            || Overlap(op.Source, op.Destination) || Overlap(op.Source, op.Metadata) || Overlap(op.Destination, op.Metadata))
        {
            return Route.Software;
        }

        d.KeyHandle = key;
        d.Lba = op.Lba;
        if (op.Kind == OffloadOpKind.WriteChain)
        {
            if (pi && !SetPi(ref d, op, op.Source.Length, op.Metadata.Length))
            {
                return Route.Software;
            }

            DpuOp first = pi ? DpuOp.PiGenerate : DpuOp.Nop;
            if (compress)
            {
                // The compressed payload is one XTS data unit of its own length (crypto_unit 0).
                DpuOp last = encrypt ? DpuOp.XtsEncrypt : DpuOp.Nop;
                if (pi)
                {
                    SetChain(ref d, first, DpuOp.Lz4Compress, last);
                }
                else
                {
                    SetChain(ref d, DpuOp.Lz4Compress, last);
                }

                return Route.Device;
            }

            // Encryption alone: per BlockSize unit into the first Source.Length bytes of Destination.
            if (op.Destination.Length < op.Source.Length || op.BlockSize is < AesXts.MinBlockSize or > AesXts.MaxBlockSize
                || op.Source.Length % op.BlockSize != 0)
            {
                return Route.Software;
            }

            d.DstCapacity = (uint)op.Source.Length;
            d.CryptoUnit = (uint)op.BlockSize;
            if (pi)
            {
                SetChain(ref d, first, DpuOp.XtsEncrypt);
            }
            else
            {
                SetChain(ref d, DpuOp.XtsEncrypt);
            }

            return Route.Device;
        }

        // Read chain.
        if (pi && !SetPi(ref d, op, op.Destination.Length, op.Metadata.Length))
        {
            return Route.Software;
        }

        DpuOp verify = pi ? DpuOp.PiVerify : DpuOp.Nop;
        if (compress)
        {
            if ((encrypt && op.Source.Length is < AesXts.MinBlockSize or > AesXts.MaxBlockSize)
                || (uint)op.CompressedLength > (uint)op.Source.Length)
            {
                return Route.Software;
            }

            d.CompressedLength = (uint)op.CompressedLength;
            if (encrypt)
            {
                SetChain(ref d, DpuOp.XtsDecrypt, DpuOp.Lz4Decompress, verify);
            }
            else
            {
                SetChain(ref d, DpuOp.Lz4Decompress, verify);
            }

            return Route.Device;
        }

        if (!IsXtsRun(op.Source, op.Destination, op.BlockSize))
        {
            return Route.Software;
        }

        d.CryptoUnit = (uint)op.BlockSize;
        SetChain(ref d, DpuOp.XtsDecrypt, verify);
        return Route.Device;
    }

    /// <summary>True when <paramref name="slice"/> is empty or lives (undisposed) in the same region as the others.</summary>
    private static bool SameRegion(in DmaSlice slice, ref DmaRegion? shared)
    {
        if (slice.IsEmpty)
        {
            return true;
        }

        if (!slice.TryGetSpan(out _) || (shared is not null && !ReferenceEquals(shared, slice.Region)))
        {
            return false;
        }

        shared = slice.Region;
        return true;
    }

    /// <summary>The index of the device queue pair over <paramref name="region"/>, created on first use; -1 when none can be.</summary>
    private int RegionIndex(DmaRegion region)
    {
        for (int i = 0; i < MaxRegions; i++)
        {
            if (ReferenceEquals(_regions[i], region))
            {
                return i;
            }
        }

        for (int i = 0; i < MaxRegions; i++)
        {
            if (_regions[i] is null)
            {
                try
                {
                    _device[i] = _engine.Runtime.CreateQueuePair(region, (uint)Depth);
                }
                catch (Exception e) when (e is NativeCallException or ObjectDisposedException)
                {
                    return -1;
                }

                _regions[i] = region;
                return i;
            }
        }

        return -1;
    }

    /// <summary>Submits the batch; returns how many the device accepted (the rest are not accepted by this queue pair either).</summary>
    private int Flush(int region, int count)
    {
        DpuQueuePair device = _device[region]!;
        ReadOnlySpan<DpuDescriptor> batch = _batch.AsSpan(0, count);
        int rc = device.Submit(batch);
        if (rc == DpuAbi.ConnectionReset)
        {
            FailOverRegion(region, MppaFailoverReason.Reset);
            rc = device.Submit(batch);
        }

        if (rc < 0)
        {
            // The queue pair refused outright: these operations are accepted, so they run in software.
            for (int k = 0; k < count; k++)
            {
                int slot = _batchSlots[k];
                RunInSoftware(in _ops[slot]);
                ReleaseSlot(slot);
            }

            _engine.Counters.AddFailedOver(count, MppaFailoverReason.QueueError);
            MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, count, $"rn_dpu_submit: errno {-rc}");
            return count;
        }

        long now = Stopwatch.GetTimestamp();
        for (int k = 0; k < rc; k++)
        {
            int slot = _batchSlots[k];
            _submittedAt[slot] = now;
            _slotRegion[slot] = (byte)region;
        }

        for (int k = rc; k < count; k++)
        {
            ReleaseSlot(_batchSlots[k]);
        }

        _inFlight += rc;
        _engine.Counters.AddSubmitted(rc);
        return rc;
    }

    private void Drain(int region)
    {
        DpuQueuePair device = _device[region]!;
        while (true)
        {
            int rc = device.Poll(_polled);
            if (rc == DpuAbi.ConnectionReset)
            {
                FailOverRegion(region, MppaFailoverReason.Reset);
                return;
            }

            if (rc < 0)
            {
                ResetAndFailOver(MppaFailoverReason.QueueError);
                return;
            }

            for (int k = 0; k < rc; k++)
            {
                Complete(region, in _polled[k]);
            }

            if (rc < Burst)
            {
                return;
            }
        }
    }

    private void Complete(int region, in DpuCompletion c)
    {
        int slot = (int)(uint)c.Cookie;
        if ((uint)slot >= (uint)Depth || _slotRegion[slot] != region || _sequence[slot] != (uint)(c.Cookie >> 32))
        {
            _engine.Counters.AddStale();
            return;
        }

        ref readonly OffloadOp op = ref _ops[slot];
        if (TryMap(in op, in c, out OffloadCompletion done))
        {
            Enqueue(done);
            _engine.Metrics.Record(op.Kind, done.Status, op.Source.Length);
            _engine.Counters.AddDeviceCompleted();
        }
        else
        {
            RunInSoftware(in op);
            _engine.Counters.AddFailedOver(1, MppaFailoverReason.DeviceError);
            MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, 1, $"device status {c.Status} for {op.Kind}");
        }

        _inFlight--;
        ReleaseSlot(slot);
    }

    /// <summary>Maps a device completion; false when it is a device failure (or an answer the host did not expect), which software then redoes.</summary>
    private static bool TryMap(in OffloadOp op, in DpuCompletion c, out OffloadCompletion done)
    {
        done = default;
        OffloadOpKind kind = op.Kind;
        switch ((DpuStatus)c.Status)
        {
            case DpuStatus.Ok:
                bool compressed = (op.Steps & OffloadChainSteps.Compression) != 0;
                (int bytes, ulong value) = kind switch
                {
                    OffloadOpKind.Crc32C or OffloadOpKind.Crc64Nvme or OffloadOpKind.Crc16T10Dif => (0, c.Result),
                    OffloadOpKind.Lz4Compress or OffloadOpKind.Lz4Decompress => ((int)c.Bytes, 0UL),
                    OffloadOpKind.XtsEncrypt or OffloadOpKind.XtsDecrypt => (op.Source.Length, 0UL),
                    OffloadOpKind.WriteChain => compressed ? ((int)c.Bytes, c.Result) : (op.Source.Length, (ulong)op.Source.Length),
                    OffloadOpKind.ReadChain => (op.Destination.Length, 0UL),
                    _ => (0, 0UL),
                };
                done = new OffloadCompletion(op.UserData, kind, OffloadStatus.Success, bytes, value, -1, 0, 0);
                return true;
            case DpuStatus.NoSpace when kind is OffloadOpKind.Lz4Compress or OffloadOpKind.WriteChain:
                done = new OffloadCompletion(op.UserData, kind, OffloadStatus.DestinationTooSmall, 0, 0, -1, 0, 0);
                return true;
            case DpuStatus.Corrupt when kind is OffloadOpKind.Lz4Decompress or OffloadOpKind.ReadChain:
                done = new OffloadCompletion(op.UserData, kind, OffloadStatus.CorruptData, 0, 0, -1, 0, 0);
                return true;
            case DpuStatus.ProtectionInformation when kind is OffloadOpKind.PiVerify or OffloadOpKind.ReadChain:
                OffloadStatus status = c.PiErrorField switch
                {
                    1 => OffloadStatus.PiGuardError,
                    2 => OffloadStatus.PiAppTagError,
                    3 => OffloadStatus.PiRefTagError,
                    _ => OffloadStatus.DeviceError,
                };
                if (status == OffloadStatus.DeviceError || c.PiErrorBlock > int.MaxValue)
                {
                    return false;
                }

                done = new OffloadCompletion(op.UserData, kind, status, 0, 0, (int)c.PiErrorBlock, c.PiExpected, c.PiActual);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Runs every operation in flight on <paramref name="region"/>'s device queue pair in software (the device dropped them).</summary>
    private void FailOverRegion(int region, MppaFailoverReason reason)
    {
        int count = 0;
        for (int slot = 0; slot < Depth; slot++)
        {
            if (_slotRegion[slot] == region)
            {
                RunInSoftware(in _ops[slot]);
                _inFlight--;
                ReleaseSlot(slot);
                count++;
            }
        }

        _engine.Counters.AddReset();
        if (count > 0)
        {
            _engine.Counters.AddFailedOver(count, reason);
            MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, count, reason == MppaFailoverReason.Reset ? "device reset" : reason.ToString());
        }
    }

    private void CheckTimeouts()
    {
        long now = Stopwatch.GetTimestamp();
        if (now < _nextTimeoutCheck)
        {
            return;
        }

        _nextTimeoutCheck = now + _checkInterval;
        for (int slot = 0; slot < Depth; slot++)
        {
            if (_slotRegion[slot] != NoRegion && now - _submittedAt[slot] > _timeoutTicks)
            {
                MppaLog.TimedOut(_engine.Logger, _engine.DeviceName, _engine.Timeout);
                ResetAndFailOver(MppaFailoverReason.Timeout);
                return;
            }
        }
    }

    /// <summary>
    /// Resets the device — after which it touches no buffer of what it dropped — then runs everything
    /// this queue pair has in flight in software, and takes each device queue pair's reset report.
    /// </summary>
    private void ResetAndFailOver(MppaFailoverReason reason)
    {
        _engine.Runtime.Reset();
        int count = 0;
        for (int slot = 0; slot < Depth; slot++)
        {
            if (_slotRegion[slot] != NoRegion)
            {
                RunInSoftware(in _ops[slot]);
                _inFlight--;
                ReleaseSlot(slot);
                count++;
            }
        }

        _engine.Counters.AddReset();
        _engine.Counters.AddFailedOver(count, reason);
        MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, count, reason == MppaFailoverReason.Timeout ? $"no completion within {_engine.Timeout}" : reason.ToString());
        for (int r = 0; r < MaxRegions; r++)
        {
            // Takes the -ECONNRESET report; anything else it returns names freed slots and is dropped as stale.
            if (_device[r] is { } device)
            {
                int rc = device.Poll(_polled);
                for (int k = 0; k < rc; k++)
                {
                    Complete(r, in _polled[k]);
                }
            }
        }
    }

    /// <summary>Runs <paramref name="op"/> on this queue pair's software queue pair and queues its completion.</summary>
    private void RunInSoftware(in OffloadOp op)
    {
        // The software queue pair runs inline and has Depth slots; it is emptied right here, so it always has room.
        _software.Submit(new ReadOnlySpan<OffloadOp>(in op));
        _software.Poll(_one);
        Enqueue(_one[0]);
    }

    private void Enqueue(in OffloadCompletion completion)
    {
        int tail = _readyHead + _readyCount;
        _ready[tail >= _ready.Length ? tail - _ready.Length : tail] = completion;
        _readyCount++;
    }

    private void ReleaseSlot(int slot)
    {
        _sequence[slot]++;
        _slotRegion[slot] = NoRegion;
        _ops[slot] = default;
        _free[_freeCount++] = slot;
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_engine.IsDisposed, _engine);
    }
}
