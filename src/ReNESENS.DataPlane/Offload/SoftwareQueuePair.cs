namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// An inline queue pair of the <see cref="SoftwareEngine"/>: runs each accepted operation on the
/// submitting thread during <see cref="Submit"/> with its own <see cref="SoftwareOpRunner"/> and keeps
/// its completion in a fixed ring of <see cref="Depth"/> slots until <see cref="Poll"/> hands it out.
/// Completions come back in submission order.
/// </summary>
internal sealed class SoftwareQueuePair : IOffloadQueuePair
{
    private readonly SoftwareEngine _engine;
    private readonly OffloadCompletion[] _completions;
    private readonly SoftwareOpRunner _runner;
    private int _head;
    private int _count;
    private bool _disposed;

    internal SoftwareQueuePair(SoftwareEngine engine, int depth)
    {
        _engine = engine;
        _completions = new OffloadCompletion[depth];
        _runner = new SoftwareOpRunner(engine.Keys, engine.Capabilities.MaxDataSize);
    }

    /// <inheritdoc />
    public int Depth => _completions.Length;

    /// <inheritdoc />
    public int Outstanding => _count;

    /// <inheritdoc />
    public int Submit(ReadOnlySpan<OffloadOp> operations)
    {
        ThrowIfDisposed();
        int accepted = Math.Min(operations.Length, _completions.Length - _count);
        int tail = _head + _count;
        for (int i = 0; i < accepted; i++)
        {
            if (tail >= _completions.Length)
            {
                tail -= _completions.Length;
            }

            ref readonly OffloadOp op = ref operations[i];
            OffloadCompletion completion = _runner.Run(in op);
            _engine.Metrics.Record(op.Kind, completion.Status, op.Source.Length);
            _completions[tail++] = completion;
            _count++;
        }

        return accepted;
    }

    /// <inheritdoc />
    public int Poll(Span<OffloadCompletion> completions)
    {
        ThrowIfDisposed();
        int n = Math.Min(completions.Length, _count);
        for (int i = 0; i < n; i++)
        {
            completions[i] = _completions[_head];
            _head = _head + 1 == _completions.Length ? 0 : _head + 1;
        }

        _count -= n;
        return n;
    }

    /// <summary>Disposes the cipher instances; completions not yet polled are dropped.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _runner.Dispose();
        _engine.ReleaseQueuePair();
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_engine.IsDisposed, _engine);
    }
}
