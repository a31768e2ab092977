using System.Numerics;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// A queue pair of the <see cref="SoftwareEngine"/> in worker mode. <see cref="Submit"/> copies each
/// operation into a free slot and publishes the slot's token on the engine's submission ring; a
/// worker runs it with the same <see cref="SoftwareOpRunner"/> code as inline mode, writes the
/// completion into the slot and puts the slot on this queue pair's completion ring, which
/// <see cref="Poll"/> drains. Completions come back in the order the workers finish.
/// </summary>
/// <remarks>
/// A slot is busy from Submit until its completion is polled, so <see cref="Depth"/> bounds the
/// operations in flight and the completion ring (at least <see cref="Depth"/> entries) never fills.
/// The slot array is written by the owner before the token is published and by a worker before the
/// slot is published on the completion ring; the rings' release/acquire order makes those writes visible.
/// </remarks>
internal sealed class SoftwareWorkerQueuePair : IOffloadQueuePair
{
    private const int PollBurst = 32;

    private readonly SoftwareEngine _engine;
    private readonly SoftwareWorkers _workers;
    private readonly int _index;
    private readonly OffloadOp[] _ops;
    private readonly OffloadCompletion[] _results;
    private readonly int[] _free;
    private readonly long[] _tokens;
    private readonly int[] _polled = new int[PollBurst];
    private readonly MpmcRing<int> _completed;
    private int _freeCount;

    /// <summary>Tokens published and not yet taken and finished by a worker.</summary>
    private int _queued;

    private volatile bool _closed;
    private bool _disposed;

    internal SoftwareWorkerQueuePair(SoftwareEngine engine, SoftwareWorkers workers, int depth)
    {
        _engine = engine;
        _workers = workers;
        _ops = new OffloadOp[depth];
        _results = new OffloadCompletion[depth];
        _free = new int[depth];
        _tokens = new long[depth];
        for (int i = 0; i < depth; i++)
        {
            _free[i] = depth - 1 - i;
        }

        _freeCount = depth;
        _completed = new MpmcRing<int>((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(depth, 2)));
        _index = workers.Register(this);
    }

    /// <inheritdoc />
    public int Depth => _ops.Length;

    /// <inheritdoc />
    public int Outstanding => _ops.Length - _freeCount;

    /// <inheritdoc />
    public int Submit(ReadOnlySpan<OffloadOp> operations)
    {
        ThrowIfDisposed();
        int n = Math.Min(operations.Length, _freeCount);
        if (n == 0)
        {
            return 0;
        }

        for (int i = 0; i < n; i++)
        {
            int slot = _free[_freeCount - 1 - i];
            _ops[slot] = operations[i];
            _tokens[i] = ((long)_index << 32) | (uint)slot;
        }

        // Counted before they are published, so a worker's decrement never comes first.
        Interlocked.Add(ref _queued, n);
        int sent = _workers.Enqueue(_tokens.AsSpan(0, n));
        if (sent < n)
        {
            // The shared ring is full: the rest stays with the caller, its slots stay free.
            Interlocked.Add(ref _queued, sent - n);
        }

        _freeCount -= sent;
        return sent;
    }

    /// <inheritdoc />
    public int Poll(Span<OffloadCompletion> completions)
    {
        ThrowIfDisposed();
        int total = 0;
        while (total < completions.Length)
        {
            int want = Math.Min(PollBurst, completions.Length - total);
            int n = _completed.DequeueBurst(_polled.AsSpan(0, want));
            for (int i = 0; i < n; i++)
            {
                int slot = _polled[i];
                completions[total + i] = _results[slot];
                _free[_freeCount++] = slot;
            }

            total += n;
            if (n < want)
            {
                break;
            }
        }

        return total;
    }

    /// <summary>
    /// Closes the queue pair: operations no worker has started are dropped without running (their
    /// buffers are not touched), one a worker is running finishes, and this waits for it; completions
    /// not yet polled are dropped. When it returns, no worker touches this queue pair's buffers.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _closed = true;
        var spin = default(SpinWait);
        while (Volatile.Read(ref _queued) > 0 && !_workers.IsStopped)
        {
            spin.SpinOnce();
        }

        _workers.Unregister(_index);
        _engine.ReleaseQueuePair();
    }

    /// <summary>Runs the operation in <paramref name="slot"/> on a worker (or drops it when the queue pair is closed) and publishes its completion.</summary>
    internal void Execute(SoftwareOpRunner runner, int slot)
    {
        if (!_closed)
        {
            ref readonly OffloadOp op = ref _ops[slot];
            OffloadCompletion completion = runner.Run(in op);
            _engine.Metrics.Record(op.Kind, completion.Status, op.Source.Length);
            _results[slot] = completion;

            // Never full: it has room for every slot.
            _completed.TryEnqueue(slot);
        }

        Interlocked.Decrement(ref _queued);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_engine.IsDisposed, _engine);
    }
}
