namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// One queue pair of a <see cref="DpuRuntime"/> device, used by one thread at a time. Submit and
/// poll return the runtime's counts or negative errno values as they are: the hot path never throws.
/// </summary>
internal sealed unsafe class DpuQueuePair : IDisposable
{
    private readonly DpuRuntime _runtime;
    private nint _qp;

    internal DpuQueuePair(DpuRuntime runtime, nint qp, uint depth)
    {
        _runtime = runtime;
        _qp = qp;
        Depth = depth;
    }

    /// <summary>Descriptors that may be in flight (accepted and not yet polled).</summary>
    internal uint Depth { get; }

    /// <summary>Hands the descriptors to the device; returns how many it accepted (the first n) or -errno.</summary>
    internal int Submit(ReadOnlySpan<DpuDescriptor> descriptors)
    {
        ObjectDisposedException.ThrowIf(_qp == 0, this);
        fixed (DpuDescriptor* d = descriptors)
        {
            return _runtime.Submit(_qp, d, (uint)descriptors.Length);
        }
    }

    /// <summary>Takes up to <c>completions.Length</c> completions; returns their number, <see cref="DpuAbi.ConnectionReset"/> after a device reset, or -errno.</summary>
    internal int Poll(Span<DpuCompletion> completions)
    {
        ObjectDisposedException.ThrowIf(_qp == 0, this);
        fixed (DpuCompletion* c = completions)
        {
            return _runtime.Poll(_qp, c, (uint)completions.Length);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_qp != 0)
        {
            NativeError.Check(_runtime.QpDestroy(_qp), "rn_dpu_qp_destroy");
            _qp = 0;
        }
    }
}
