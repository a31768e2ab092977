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

    internal static long ThreadNanoseconds()
    {
        _ = ClockGetTime(ClockThreadCpuTime, out TimeSpec t);
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
