namespace ReNESENS.DataPlane.Tests;

/// <summary>Measures what a round of calls allocates on the calling thread once it has reached a steady state.</summary>
internal static class SteadyStateAllocation
{
    /// <summary>
    /// Runs <paramref name="round"/> up to <paramref name="rounds"/> times and returns the bytes the last round
    /// allocated: 0 as soon as one round allocates nothing. Several rounds are allowed because, in full test runs on a
    /// loaded machine, a round has counted a few KiB that no call of ours allocates (most likely the runtime replacing
    /// tiered code on this thread); an allocation per call shows in every round and is still returned.
    /// </summary>
    public static long Measure(Action round, int rounds = 10)
    {
        long allocated = -1;
        for (int r = 0; r < rounds && allocated != 0; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            round();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        return allocated;
    }
}
