using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Offload;

/// <summary>What a device completion turned out to be (<see cref="MppaSlots.Accept"/>).</summary>
internal enum MppaCompletionOutcome
{
    /// <summary>It names no operation in flight (a duplicate, a late one, an invented cookie): dropped.</summary>
    Stale,

    /// <summary>The operation's completion, with numbers the operation can have.</summary>
    Mapped,

    /// <summary>The operation ended on the device with a failure, or an answer the host cannot accept.</summary>
    DeviceFailure,
}

/// <summary>
/// The operations one <see cref="MppaQueuePair"/> has handed to its device queue pairs, by slot. A
/// descriptor's cookie is <c>(sequence &lt;&lt; 32) | slot</c>; releasing a slot bumps its sequence, so a
/// completion for an operation that already ended (failed over, or a duplicate) names a sequence the
/// slot no longer has, and is refused like a cookie for a slot that was never in flight. Used by one
/// thread at a time; preallocated, nothing is allocated per operation.
/// </summary>
internal sealed class MppaSlots
{
    /// <summary>The region index of a slot that is not in flight.</summary>
    internal const byte NoRegion = byte.MaxValue;

    private readonly MppaSlotOp[] _ops;
    private readonly Slot[] _slots;
    private readonly int[] _free;
    private int _freeCount;

    internal MppaSlots(int capacity)
    {
        _ops = new MppaSlotOp[capacity];
        _slots = new Slot[capacity];
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
            _slots[i].Region = NoRegion;
        }

        _freeCount = capacity;
    }

    /// <summary>Slots in all.</summary>
    internal int Capacity => _ops.Length;

    /// <summary>Slots handed to a device queue pair and not yet released.</summary>
    internal int InFlight { get; private set; }

    /// <summary>Takes a free slot for <paramref name="op"/> (the caller checked that one is free) and returns it with its cookie.</summary>
    internal int Take(in OffloadOp op, out ulong cookie)
    {
        int slot = _free[--_freeCount];
        _ops[slot] = new MppaSlotOp(op);
        cookie = ((ulong)_slots[slot].Sequence << 32) | (uint)slot;
        return slot;
    }

    /// <summary>The device accepted the slot's descriptor on <paramref name="region"/>'s queue pair at <paramref name="now"/>.</summary>
    internal void MarkSubmitted(int slot, int region, long now)
    {
        ref Slot s = ref _slots[slot];
        s.Region = (byte)region;
        s.SubmittedAt = now;
        InFlight++;
    }

    /// <summary>
    /// What a device completion from <paramref name="region"/>'s queue pair means: <see cref="MppaCompletionOutcome.Stale"/>
    /// when it names no operation in flight there; else the slot it names, and either the operation's completion
    /// (<see cref="MppaCompletionOutcome.Mapped"/>) or a device failure (the caller redoes the operation in software).
    /// The caller releases the slot of an outcome that is not stale.
    /// </summary>
    internal MppaCompletionOutcome Accept(int region, in DpuCompletion completion, out int slot, out OffloadCompletion done)
    {
        if (!TryAccept(region, completion.Cookie, out slot))
        {
            done = default;
            return MppaCompletionOutcome.Stale;
        }

        return MppaCompletionMap.TryMap(in _ops[slot], in completion, out done) ? MppaCompletionOutcome.Mapped : MppaCompletionOutcome.DeviceFailure;
    }

    /// <summary>
    /// The slot a completion from <paramref name="region"/>'s queue pair names, if it is in flight there
    /// with the cookie's sequence; false for anything else (stale, duplicate, invented, another region's).
    /// </summary>
    internal bool TryAccept(int region, ulong cookie, out int slot)
    {
        slot = (int)(uint)cookie;
        if ((uint)slot >= (uint)_slots.Length)
        {
            return false;
        }

        ref readonly Slot s = ref _slots[slot];
        return s.Region == region && s.Region != NoRegion && s.Sequence == (uint)(cookie >> 32);
    }

    /// <summary>The operation in <paramref name="slot"/>.</summary>
    internal ref readonly MppaSlotOp Op(int slot) => ref _ops[slot];

    /// <summary>The region index <paramref name="slot"/> is in flight on, or <see cref="NoRegion"/>.</summary>
    internal byte RegionOf(int slot) => _slots[slot].Region;

    /// <summary>When <paramref name="slot"/>'s descriptor was accepted (Stopwatch ticks).</summary>
    internal long SubmittedAt(int slot) => _slots[slot].SubmittedAt;

    /// <summary>Frees the slot; any later completion naming its old cookie is refused.</summary>
    internal void Release(int slot)
    {
        ref Slot s = ref _slots[slot];
        if (s.Region != NoRegion)
        {
            InFlight--;
        }

        s.Sequence++;
        s.Region = NoRegion;
        _free[_freeCount++] = slot;
    }

    private struct Slot
    {
        public long SubmittedAt;
        public uint Sequence;
        public byte Region;
    }
}
