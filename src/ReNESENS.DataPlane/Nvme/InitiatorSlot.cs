using System.Threading.Tasks.Sources;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>One command in flight on an initiator queue; its index is the CID. Reused, never reallocated.</summary>
internal sealed class InitiatorSlot : IValueTaskSource<InitiatorCompletion>
{
    private ManualResetValueTaskSourceCore<InitiatorCompletion> _core = new() { RunContinuationsAsynchronously = true };

    public InitiatorSlot(ushort commandId, int sendBufferSize)
    {
        CommandId = commandId;
        SendBuffer = new byte[sendBufferSize];
    }

    public ushort CommandId { get; }

    /// <summary>PDUs are built here before they are sent.</summary>
    public byte[] SendBuffer { get; }

    /// <summary>Where C2HData lands (reads, Identify, Get Log Page).</summary>
    public Memory<byte> Destination;

    /// <summary>Where H2CData comes from (writes answered by an R2T).</summary>
    public ReadOnlyMemory<byte> Source;

    /// <summary>C2H bytes received so far.</summary>
    public int Received;

    /// <summary>1 while the command is in flight; the receive loop completes a slot only once.</summary>
    public int Busy;

    public ValueTask<InitiatorCompletion> Start()
    {
        _core.Reset();
        Received = 0;
        Volatile.Write(ref Busy, 1);
        return new ValueTask<InitiatorCompletion>(this, _core.Version);
    }

    public void Complete(InitiatorCompletion completion)
    {
        if (Interlocked.Exchange(ref Busy, 0) == 1)
        {
            _core.SetResult(completion);
        }
    }

    public void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref Busy, 0) == 1)
        {
            _core.SetException(exception);
        }
    }

    public InitiatorCompletion GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>Status field and DW0..1 of a completion.</summary>
internal readonly record struct InitiatorCompletion(ushort Status, ulong Result);
