using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// A side shared by several threads, like DPDK's MP/MC mode: a CAS on the head reserves slots,
/// the caller copies, then waits until every earlier reservation on this side is published and
/// publishes its own, so the tail moves in reservation order.
/// </summary>
/// <remarks>
/// Not lock-free in the strict sense: a thread preempted between its reservation and its publish
/// holds back the publishes of the reservations after it (as in rte_ring). Waiters spin, then yield.
/// Unlike rte_ring, the opposite tail is cached on this side's own cache line (shared by the
/// threads of this side), so a reservation reads the opposite side's line only when the cache
/// says there is not enough.
/// </remarks>
internal readonly struct MultiThreadSync : IRingSideSync
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Reserve(ref RingHeadTail self, ref RingHeadTail opposite, ulong capacityOffset, uint count, bool bulk, out ulong head)
    {
        while (true)
        {
            // A0: acquire, keeps this head read before the reads below.
            ulong current = Volatile.Read(ref self.Head);

            // A3: acquire, pairs with R3 (the thread of this side that last refreshed the cache):
            // through it, with that thread's A1, the opposite side's slot accesses below the cached
            // tail happen before ours. The cache only lags the real tail, so what it grants is
            // always really free (producer) or filled (consumer); it may even be older than our
            // head (other threads of this side moved on), hence the signed difference.
            long available = (long)(capacityOffset + Volatile.Read(ref self.OppositeTailCache) - current);
            if (available < count)
            {
                // A1: acquire, pairs with R1 (the opposite side's release of its tail): the
                // opposite side's slot accesses below that tail happen before ours. Read after the
                // head (A0) it bounds, so this difference cannot be negative.
                ulong oppositeTail = Volatile.Read(ref opposite.Tail);

                // R3: release, pairs with A3 of the threads of this side that use the cache.
                // Racing refreshes may leave an older value; that only costs a later refresh.
                Volatile.Write(ref self.OppositeTailCache, oppositeTail);
                available = (long)(capacityOffset + oppositeTail - current);
            }

            uint n = count;
            if (available < n)
            {
                if (bulk || available <= 0)
                {
                    head = current;
                    return 0;
                }

                n = (uint)available;
            }

            // X1: full fence; claims [current, current + n) for this thread only. Fails, and we
            // retry, when another thread of this side reserved first.
            if (Interlocked.CompareExchange(ref self.Head, current + n, current) == current)
            {
                head = current;
                return n;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Publish(ref RingHeadTail self, ulong head, uint count)
    {
        // A2: acquire, pairs with R1 of the thread of this side that reserved just before us: its
        // slot accesses happen before ours is published, so the opposite side's A1 covers both.
        if (Volatile.Read(ref self.Tail) != head)
        {
            WaitForEarlierReservations(ref self, head);
        }

        // R1: release, pairs with A1 on the opposite side (and with A2 of the next thread of this side).
        Volatile.Write(ref self.Tail, head + count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WaitForEarlierReservations(ref RingHeadTail self, ulong head)
    {
        // SpinWait yields after a few spins: on a box with fewer cores than threads the thread we
        // wait for may not be running at all. Sleep(1) is disabled; it would add milliseconds.
        SpinWait spinner = default;

        // A2 (as above), repeated until the earlier reservations are published.
        while (Volatile.Read(ref self.Tail) != head)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
