using System.Threading.Tasks.Sources;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>What the sending side of a queue owes the controller for one slot.</summary>
internal enum InitiatorSend
{
    /// <summary>Nothing: the slot is not in the send ring.</summary>
    None,

    /// <summary>The command capsule (<see cref="InitiatorSlot.Sqe"/>, with in-capsule data when <see cref="InitiatorSlot.InCapsule"/>).</summary>
    Capsule,

    /// <summary>H2CData answering the controller's R2T (<see cref="InitiatorSlot.TransferTag"/>, offset and length).</summary>
    Data,
}

/// <summary>One command in flight on an initiator queue; its index is the CID. Reused, never reallocated.</summary>
/// <remarks>
/// The submitting thread fills <see cref="Sqe"/>, <see cref="Source"/> and <see cref="Destination"/>
/// before it posts the slot to the queue's send ring; the sending thread reads them after taking
/// the slot from that ring (the ring's release/acquire orders the two). The receive loop writes
/// <see cref="Received"/> and the R2T fields, and completes the slot.
/// </remarks>
internal sealed class InitiatorSlot : IValueTaskSource<InitiatorCompletion>
{
    private ManualResetValueTaskSourceCore<InitiatorCompletion> _core;

    public InitiatorSlot(ushort commandId, bool runContinuationsAsynchronously)
    {
        CommandId = commandId;
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
    }

    public ushort CommandId { get; }

    /// <summary>The command to send (CID and SGL filled in).</summary>
    public SubmissionQueueEntry Sqe;

    /// <summary>The capsule carries <see cref="Source"/> as in-capsule data.</summary>
    public bool InCapsule;

    /// <summary>Where C2HData lands (reads, Identify, Get Log Page).</summary>
    public Memory<byte> Destination;

    /// <summary>Where host data comes from (in-capsule or on the controller's R2T).</summary>
    public ReadOnlyMemory<byte> Source;

    /// <summary>C2H bytes received so far.</summary>
    public int Received;

    /// <summary>What the sender owes for this slot; written with <see cref="Volatile"/> by the poster (set) and the sender (cleared).</summary>
    public int Pending;

    /// <summary>TTAG of the R2T being answered.</summary>
    public ushort TransferTag;

    /// <summary>R2TO of the R2T being answered.</summary>
    public uint DataOffset;

    /// <summary>R2TL of the R2T being answered.</summary>
    public uint DataLength;

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
