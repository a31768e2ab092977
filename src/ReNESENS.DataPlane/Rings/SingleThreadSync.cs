using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// A side used by one thread at a time: no CAS, the head is the tail between calls, and the
/// opposite tail is cached so the opposite side's cache line is read only when the cached value
/// says there is not enough room (or not enough items).
/// </summary>
internal readonly struct SingleThreadSync : IRingSideSync
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Reserve(ref RingHeadTail self, ref RingHeadTail opposite, ulong capacityOffset, uint count, bool bulk, out ulong head)
    {
        // Only this thread writes self.Tail, so a plain read sees its own last store.
        head = self.Tail;
        ulong available = capacityOffset + self.OppositeTailCache - head;
        if (available >= count)
        {
            return count;
        }

        // A1: acquire, pairs with R1 (the opposite side's release of its tail): the opposite side's
        // slot accesses below that tail (producer: writes; consumer: reads) happen before ours.
        ulong oppositeTail = Volatile.Read(ref opposite.Tail);
        self.OppositeTailCache = oppositeTail;
        available = capacityOffset + oppositeTail - head;
        if (available >= count)
        {
            return count;
        }

        return bulk ? 0 : (uint)available;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Publish(ref RingHeadTail self, ulong head, uint count) =>
        // R1: release, pairs with A1 on the opposite side: our slot accesses happen before it sees the new tail.
        Volatile.Write(ref self.Tail, head + count);
}
