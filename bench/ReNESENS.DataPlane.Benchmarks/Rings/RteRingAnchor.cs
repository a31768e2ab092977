using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// P/Invoke into native/rte_ring_anchor.c: DPDK's rte_ring running the same loops as the C#
/// benchmarks, one call per invocation.
/// </summary>
internal static partial class RteRingAnchor
{
    private const string Library = "rte_ring_anchor";

    /// <summary>Sum of 0 .. items - 1: what every loop must return.</summary>
    public static long ExpectedSum(long items) => items * (items - 1) / 2;

    /// <summary>A ring of <paramref name="count"/> slots (count - 1 usable); multi 0 = SP/SC, 1 = MP/MC. Zero on failure.</summary>
    [LibraryImport(Library, EntryPoint = "rn_anchor_ring_create")]
    public static partial nint Create(uint count, int multi);

    [LibraryImport(Library, EntryPoint = "rn_anchor_ring_free")]
    public static partial void Free(nint ring);

    /// <summary>Enqueue a burst, dequeue a burst, on one thread, until <paramref name="items"/> went through; returns the sum.</summary>
    [LibraryImport(Library, EntryPoint = "rn_anchor_single_thread")]
    public static partial ulong SingleThread(nint ring, uint burst, ulong items, int multi);

    /// <summary>A new pthread produces <paramref name="items"/> while the caller consumes; returns the sum.</summary>
    [LibraryImport(Library, EntryPoint = "rn_anchor_cross_thread")]
    public static partial ulong CrossThread(nint ring, uint burst, ulong items, int multi);
}
