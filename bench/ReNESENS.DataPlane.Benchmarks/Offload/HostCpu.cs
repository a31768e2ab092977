using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): the host's share of the work, apart from
/// the emulated device's worker threads, which run in the same process.
/// </summary>
internal static partial class HostCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>The CPU time one pair of back-to-back readings reports by itself (the syscall's own share), subtracted from every measured call.</summary>
    internal static long Overhead { get; } = Calibrate();

    /// <summary>Thread CPU time spent in <paramref name="start"/> .. now, less the reading's own cost (never negative).</summary>
    internal static long Since(long start) => Math.Max(0, ThreadNanoseconds() - start - Overhead);

    internal static long ThreadNanoseconds()
    {
        _ = ClockGetTime(ClockThreadCpuTime, out TimeSpec t);
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    private static long Calibrate()
    {
        long[] samples = new long[2001];
        for (int i = 0; i < samples.Length; i++)
        {
            long t = ThreadNanoseconds();
            samples[i] = ThreadNanoseconds() - t;
        }

        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
