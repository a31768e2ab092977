using System.Diagnostics;
using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// A queue pair of the <see cref="MppaEngine"/>: translates operations into device descriptors
/// (MppaQueuePair.Descriptors.cs), submits them in batches to a device queue pair per region, and turns
/// device completions back into <see cref="OffloadCompletion"/>s (<see cref="MppaCompletionMap"/>). An
/// operation in flight owns a slot of <see cref="MppaSlots"/>; its cookie carries the slot and the slot's
/// sequence number, so a completion that arrives after the slot moved on (the operation was failed over)
/// is recognised and dropped: each operation completes exactly once.
/// </summary>
/// <remarks>
/// Poll writes device completions straight into the caller's span and asks the device for no more than
/// fit; completions made elsewhere (operations run in software at Submit, failovers) wait in a ring of
/// Depth entries. Metrics and counters of device completions are added once per Poll, before it returns.
/// </remarks>
internal sealed partial class MppaQueuePair : IOffloadQueuePair
{
    /// <summary>Regions one queue pair keeps a device queue pair for; an operation in a further region runs in software.</summary>
    private const int MaxRegions = 4;

    /// <summary>Descriptors per device submit and completions per device poll.</summary>
    private const int Burst = 32;

    /// <summary>Polls that drained the device between two looks at the clock for overdue descriptors (an empty poll always looks).</summary>
    private const int TimeoutCheckEvery = 16;

    private const int KindCount = (int)OffloadOpKind.ReadChain + 1;

    private readonly MppaEngine _engine;
    private readonly IOffloadQueuePair _software;
    private readonly MppaSlots _slots;
    private readonly OffloadCompletion[] _ready;
    private readonly OffloadCompletion[] _one = new OffloadCompletion[1];
    private readonly DmaRegion?[] _regions = new DmaRegion?[MaxRegions];
    private readonly DpuQueuePair?[] _device = new DpuQueuePair?[MaxRegions];
    private readonly DpuDescriptor[] _batch = new DpuDescriptor[Burst];
    private readonly int[] _batchSlots = new int[Burst];
    private readonly DpuCompletion[] _polled = new DpuCompletion[Burst];
    private readonly long[] _successCount = new long[KindCount];
    private readonly long[] _successBytes = new long[KindCount];
    private readonly long _timeoutTicks;
    private readonly long _checkInterval;
    private readonly int _maxData;
    private readonly bool _deviceGcm;
    private int _regionCount;
    private DmaRegion? _lastRegion;
    private int _lastRegionIndex;
    private int _readyHead;
    private int _readyCount;
    private int _successKinds;
    private int _deviceCompleted;
    private long _nextTimeoutCheck;
    private int _pollsSinceCheck;
    private bool _disposed;

    internal MppaQueuePair(MppaEngine engine, int depth)
    {
        _engine = engine;
        _software = engine.Software.CreateQueuePair(depth);
        _slots = new MppaSlots(depth);
        _ready = new OffloadCompletion[depth];
        _maxData = engine.Capabilities.MaxDataSize;
        _deviceGcm = engine.DeviceHasGcm;
        _timeoutTicks = (long)(engine.Timeout.TotalSeconds * Stopwatch.Frequency);
        _checkInterval = Math.Max(1, Math.Min(_timeoutTicks / 4, Stopwatch.Frequency / 1000));
    }

    /// <inheritdoc />
    public int Depth => _slots.Capacity;

    /// <inheritdoc />
    public int Outstanding => _slots.InFlight + _readyCount;

    /// <inheritdoc />
    public int Submit(ReadOnlySpan<OffloadOp> operations)
    {
        ThrowIfDisposed();
        int n = Math.Min(operations.Length, Depth - Outstanding);
        int count = 0;
        int batchRegion = -1;
        int batchStart = 0;
        for (int i = 0; i < n; i++)
        {
            ref readonly OffloadOp op = ref operations[i];
            if (count == Burst)
            {
                int sent = Flush(batchRegion, count);
                if (sent < count)
                {
                    return batchStart + sent;
                }

                count = 0;
            }

            int region = Translate(in op, ref _batch[count]);
            if (region >= 0)
            {
                if (count > 0 && region != batchRegion)
                {
                    int sent = Flush(batchRegion, count);
                    if (sent < count)
                    {
                        return batchStart + sent;
                    }

                    _batch[0] = _batch[count];
                    count = 0;
                }

                if (count == 0)
                {
                    batchStart = i;
                    batchRegion = region;
                }

                _batchSlots[count] = _slots.Take(in op, out ulong cookie);
                _batch[count].Cookie = cookie;
                count++;
                continue;
            }

            if (count > 0)
            {
                int sent = Flush(batchRegion, count);
                if (sent < count)
                {
                    return batchStart + sent;
                }

                count = 0;
            }

            Enqueue(RunInSoftware(in op));
            _engine.Counters.AddRouted();
        }

        if (count > 0)
        {
            int sent = Flush(batchRegion, count);
            if (sent < count)
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
        int n = TakeReady(completions);
        if (_slots.InFlight > 0 && n < completions.Length)
        {
            bool drained = true;
            int got = 0;
            for (int r = 0; r < _regionCount; r++)
            {
                if (n == completions.Length)
                {
                    drained = false;
                    break;
                }

                n = PollDevice(r, completions, n, ref drained, ref got);
            }

            FlushCounts();
            if (_slots.InFlight > 0 && drained && (got == 0 || ++_pollsSinceCheck >= TimeoutCheckEvery))
            {
                _pollsSinceCheck = 0;
                CheckTimeouts();
            }

            n += TakeReady(completions[n..]);
        }

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

        _lastRegion = null;
        _software.Dispose();
        _engine.Release(this);
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
                Enqueue(RunInSoftware(_slots.Op(slot).ToOp(_regions[region]!)));
                _slots.Release(slot);
            }

            _engine.Counters.AddFailedOver(count, MppaFailoverReason.QueueError);
            MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, count, $"rn_dpu_submit: errno {-rc}");
            return count;
        }

        long now = Stopwatch.GetTimestamp();
        for (int k = 0; k < rc; k++)
        {
            _slots.MarkSubmitted(_batchSlots[k], region, now);
        }

        for (int k = rc; k < count; k++)
        {
            _slots.Release(_batchSlots[k]);
        }

        _engine.Counters.AddSubmitted(rc);
        return rc;
    }

    /// <summary>
    /// Polls <paramref name="region"/>'s device queue pair for at most the room left in <paramref name="completions"/>
    /// (from <paramref name="n"/>); returns the new count. Clears <paramref name="drained"/> when it stopped for lack
    /// of room rather than because the device had nothing more.
    /// </summary>
    private int PollDevice(int region, Span<OffloadCompletion> completions, int n, ref bool drained, ref int got)
    {
        DpuQueuePair device = _device[region]!;
        while (n < completions.Length)
        {
            Span<DpuCompletion> polled = _polled.AsSpan(0, Math.Min(Burst, completions.Length - n));
            int rc = device.Poll(polled);
            if (rc == DpuAbi.ConnectionReset)
            {
                FailOverRegion(region, MppaFailoverReason.Reset);
                return n;
            }

            if (rc < 0)
            {
                ResetAndFailOver(MppaFailoverReason.QueueError);
                return n;
            }

            got += rc;
            for (int k = 0; k < rc; k++)
            {
                if (Complete(region, in polled[k], out completions[n]))
                {
                    n++;
                }
            }

            if (rc < polled.Length)
            {
                return n;
            }
        }

        drained = false;
        return n;
    }

    /// <summary>Ends the operation a device completion names (mapped, or redone in software); false for a stale completion, which ends nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Complete(int region, in DpuCompletion c, out OffloadCompletion done)
    {
        MppaCompletionOutcome outcome = _slots.Accept(region, in c, out int slot, out done);
        if (outcome == MppaCompletionOutcome.Stale)
        {
            _engine.Counters.AddStale();
            return false;
        }

        ref readonly MppaSlotOp op = ref _slots.Op(slot);
        if (outcome == MppaCompletionOutcome.Mapped)
        {
            if (done.Status == OffloadStatus.Success)
            {
                int kind = (int)op.Kind;
                _successCount[kind]++;
                _successBytes[kind] += op.SourceLength;
                _successKinds |= 1 << kind;
            }
            else
            {
                _engine.Metrics.Record(op.Kind, done.Status, op.SourceLength);
            }

            _deviceCompleted++;
        }
        else
        {
            done = FailOverOne(in op, _regions[region]!, in c);
        }

        _slots.Release(slot);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private OffloadCompletion FailOverOne(in MppaSlotOp op, DmaRegion region, in DpuCompletion c)
    {
        OffloadCompletion done = RunInSoftware(op.ToOp(region));
        _engine.Counters.AddFailedOver(1, MppaFailoverReason.DeviceError);
        MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, 1, c.Status != 0
            ? $"device status {c.Status} for {op.Kind}"
            : $"device completion out of range for {op.Kind} (bytes {c.Bytes}, result {c.Result})");
        return done;
    }

    /// <summary>Adds the device completions of this poll to the engine's counters and metrics (once per poll, not per operation).</summary>
    private void FlushCounts()
    {
        if (_deviceCompleted == 0)
        {
            return;
        }

        _engine.Counters.AddDeviceCompleted(_deviceCompleted);
        _deviceCompleted = 0;
        for (int kinds = _successKinds; kinds != 0; kinds &= kinds - 1)
        {
            int kind = System.Numerics.BitOperations.TrailingZeroCount(kinds);
            _engine.Metrics.RecordSuccesses((OffloadOpKind)kind, _successCount[kind], _successBytes[kind]);
            _successCount[kind] = 0;
            _successBytes[kind] = 0;
        }

        _successKinds = 0;
    }

    /// <summary>Runs every operation in flight on <paramref name="region"/>'s device queue pair in software (the device dropped them).</summary>
    private void FailOverRegion(int region, MppaFailoverReason reason)
    {
        int count = 0;
        for (int slot = 0; slot < Depth; slot++)
        {
            if (_slots.RegionOf(slot) == region)
            {
                Enqueue(RunInSoftware(_slots.Op(slot).ToOp(_regions[region]!)));
                _slots.Release(slot);
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
            if (_slots.RegionOf(slot) != MppaSlots.NoRegion && now - _slots.SubmittedAt(slot) > _timeoutTicks)
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
            byte region = _slots.RegionOf(slot);
            if (region != MppaSlots.NoRegion)
            {
                Enqueue(RunInSoftware(_slots.Op(slot).ToOp(_regions[region]!)));
                _slots.Release(slot);
                count++;
            }
        }

        _engine.Counters.AddReset();
        _engine.Counters.AddFailedOver(count, reason);
        MppaLog.FailedOver(_engine.Logger, _engine.DeviceName, count, reason == MppaFailoverReason.Timeout ? $"no completion within {_engine.Timeout}" : reason.ToString());
        for (int r = 0; r < _regionCount; r++)
        {
            // Takes the -ECONNRESET report; anything else it returns names freed slots and is dropped as stale.
            int rc = _device[r]!.Poll(_polled);
            for (int k = 0; k < rc; k++)
            {
                _ = Complete(r, in _polled[k], out _);
            }
        }
    }

    /// <summary>Runs <paramref name="op"/> on this queue pair's software queue pair and returns its completion.</summary>
    private OffloadCompletion RunInSoftware(in OffloadOp op)
    {
        // The software queue pair runs inline and has Depth slots; it is emptied right here, so it always has room.
        _software.Submit(new ReadOnlySpan<OffloadOp>(in op));
        _software.Poll(_one);
        return _one[0];
    }

    private void Enqueue(in OffloadCompletion completion)
    {
        int tail = _readyHead + _readyCount;
        _ready[tail >= _ready.Length ? tail - _ready.Length : tail] = completion;
        _readyCount++;
    }

    private int TakeReady(Span<OffloadCompletion> completions)
    {
        int n = Math.Min(completions.Length, _readyCount);
        for (int i = 0; i < n; i++)
        {
            completions[i] = _ready[_readyHead];
            _readyHead = _readyHead + 1 == _ready.Length ? 0 : _readyHead + 1;
        }

        _readyCount -= n;
        return n;
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_engine.IsDisposed, _engine);
    }
}
