using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// The global free list of a <see cref="BufferPool"/>: a lock-free LIFO of buffer indices
/// (a Treiber stack over an index array) whose top word packs a 32-bit ABA tag with the top index.
/// </summary>
/// <remarks>
/// Every successful push or pop increments the tag, so a compare-and-swap built from a stale read of
/// the top fails even when the same index is back on top. The tag is 32 bits: a thread would have to
/// sleep between its read and its CAS while exactly 2^32 other operations complete for ABA to
/// return, which we accept (DPDK's lock-free stack makes the same bet with a 64-bit counter).
/// Links are only written by the thread that owns the nodes (before it publishes them), so a popper
/// that walks stale links reads valid indices and its CAS fails.
/// Counts are bursts: one CAS moves up to <c>n</c> indices either way.
/// </remarks>
internal sealed class FreeIndexStack
{
    /// <summary>The index that ends a list (and marks an empty stack).</summary>
    internal const int End = -1;

    /// <summary><c>_next[i]</c> is the index below <c>i</c>. Written by the owner of node <c>i</c> before a push publishes it.</summary>
    private readonly int[] _next;

    /// <summary>Top word, and count with its low-water mark, on their own cache lines. Written only with CAS (word, low) and Interlocked.Add (count).</summary>
    private Top _top;

    /// <summary>Creates a stack holding every index <c>0 .. capacity-1</c>, 0 on top.</summary>
    public FreeIndexStack(int capacity)
    {
        _next = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _next[i] = i + 1 < capacity ? i + 1 : End;
        }

        _top.Word = Pack(capacity > 0 ? 0 : End, 0);
        _top.Count = capacity;
        _top.Low = capacity;
    }

    /// <summary>
    /// Indices on the stack. Exact when quiet; while pushes and pops run it is never below the true
    /// number, and above it by the pushes and pops in flight (a push adds before its CAS, a pop
    /// subtracts after its own).
    /// </summary>
    public int Count => Volatile.Read(ref _top.Count); // Diagnostic read, no edge.

    /// <summary>The lowest <see cref="Count"/> has been after a pop since the stack was created.</summary>
    public int LowWater => Volatile.Read(ref _top.Low); // Diagnostic read, no edge.

    /// <summary>Pops up to <paramref name="into"/>.Length indices (top first).</summary>
    /// <returns>How many were popped; 0 when the stack is empty.</returns>
    public int TryPop(Span<int> into)
    {
        if (into.IsEmpty)
        {
            return 0;
        }

        // A1: acquire, pairs with R1 in Push: the links of the published nodes are visible.
        long top = Volatile.Read(ref _top.Word);
        while (true)
        {
            int index = IndexOf(top);
            if (index == End)
            {
                return 0;
            }

            int got = 0;
            int next = index;
            do
            {
                into[got++] = next;

                // A2: pairs with R1 (and with W1 for a stale node); stale values are valid indices, the CAS rejects them.
                next = Volatile.Read(ref _next[next]);
            }
            while (next != End && got < into.Length);

            if (TryCommitPop(ref top, next, got))
            {
                return got;
            }
        }
    }

    /// <summary>The top word as a popper first reads it (tests use it to stage a stale pop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long ReadTop() => Volatile.Read(ref _top.Word); // A1': same pairing as A1.

    /// <summary>
    /// The commit step of a pop: replaces <paramref name="observedTop"/> with <paramref name="newTop"/>
    /// (the link read below the last popped node) if nothing was pushed or popped since it was read.
    /// On failure <paramref name="observedTop"/> receives the current top word.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryCommitPop(ref long observedTop, int newTop, int count)
    {
        // R2/A3: full fence; acquire for the popped nodes (pairs with R1), and orders our reads
        // of their links before any later reuse of them. The tag makes a stale observedTop fail.
        long seen = Interlocked.CompareExchange(ref _top.Word, Pack(newTop, TagOf(observedTop) + 1), observedTop);
        if (seen == observedTop)
        {
            int left = Interlocked.Add(ref _top.Count, -count); // Counter only, no edge.
            if (left < Volatile.Read(ref _top.Low)) // First guess for L1.
            {
                LowerLowWater(left);
            }

            return true;
        }

        observedTop = seen;
        return false;
    }

    /// <summary>Pops one index.</summary>
    /// <returns>The index, or <see cref="End"/> when the stack is empty.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryPopOne()
    {
        int index = End;
        return TryPop(new Span<int>(ref index)) == 1 ? index : End;
    }

    /// <summary>Pushes <paramref name="indices"/> (owned by the caller, none already on the stack); the first ends on top.</summary>
    public void Push(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            return;
        }

        for (int i = 0; i < indices.Length - 1; i++)
        {
            // W1: plain link writes to nodes we own; published by R1.
            _next[indices[i]] = indices[i + 1];
        }

        // Counted before it is visible, so Count never drops below the true number.
        Interlocked.Add(ref _top.Count, indices.Length); // Counter only, no edge: R1 publishes.
        int last = indices[^1];
        // First guess for R1; a stale value only makes the CAS fail once.
        long top = Volatile.Read(ref _top.Word);
        while (true)
        {
            // W2: the link below our last node, published by R1 (pairs with A2 of the next popper).
            Volatile.Write(ref _next[last], IndexOf(top));

            // R1: full fence (release): publishes W1 and the write above, and everything the releasing
            // owner wrote into the buffers; pairs with A1/A2/R2 of the next popper.
            long seen = Interlocked.CompareExchange(ref _top.Word, Pack(indices[0], TagOf(top) + 1), top);
            if (seen == top)
            {
                return;
            }

            top = seen;
        }
    }

    /// <summary>Pushes one index owned by the caller.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushOne(int index) => Push(new ReadOnlySpan<int>(in index));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LowerLowWater(int count)
    {
        int low = Volatile.Read(ref _top.Low);
        while (count < low)
        {
            // L1: CAS-min; counters only, no edge.
            int seen = Interlocked.CompareExchange(ref _top.Low, count, low);
            if (seen == low)
            {
                return;
            }

            low = seen;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Pack(int index, uint tag) => ((long)tag << 32) | (uint)index;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOf(long word) => (int)(uint)word;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint TagOf(long word) => (uint)((ulong)word >> 32);

    /// <summary>The top word between padding, so it does not share a cache line with the index array header or other fields.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Top
    {
        [FieldOffset(64)]
        public long Word;

        [FieldOffset(128)]
        public int Count;

        [FieldOffset(132)]
        public int Low;
    }
}
