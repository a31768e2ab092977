using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// The submitting thread's share of the work, apart from the emulated device's worker threads (which
/// run in the same process): its CPU time (CLOCK_THREAD_CPUTIME_ID, a system call of 0.3-2 µs here, so
/// read only around runs of thousands of descriptors, never around one call), wall time inside single
/// calls (<see cref="Stopwatch.GetTimestamp"/>, the vDSO clock on the TSC: about 20 ns, minus its own
/// calibrated cost), and the conversion to cycles at the TSC's nominal frequency.
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

    /// <summary>The CPU frequency /proc/cpuinfo reports ("cpu MHz": the TSC's nominal rate in this VM), in GHz.</summary>
    internal static double Ghz { get; } = ReadGhz();

    /// <summary>Nanoseconds two back-to-back <see cref="Stopwatch.GetTimestamp"/> reads measure by themselves (median).</summary>
    internal static double TimestampPairNs { get; } = CalibrateTimestampPair();

    internal static long ThreadNanoseconds()
    {
        _ = ClockGetTime(ClockThreadCpuTime, out TimeSpec t);
        return (t.Seconds * 1_000_000_000L) + t.Nanoseconds;
    }

    /// <summary>Stopwatch ticks to nanoseconds.</summary>
    internal static double Ns(long ticks) => ticks * (1e9 / Stopwatch.Frequency);

    /// <summary>Nanoseconds to cycles at <see cref="Ghz"/>.</summary>
    internal static double Cycles(double ns) => ns * Ghz;

    private static double ReadGhz()
    {
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture) / 1000;
            }
        }

        return double.NaN;
    }

    private static double CalibrateTimestampPair()
    {
        long[] samples = new long[20001];
        for (int i = 0; i < samples.Length; i++)
        {
            long t = Stopwatch.GetTimestamp();
            samples[i] = Stopwatch.GetTimestamp() - t;
        }

        Array.Sort(samples);
        return Ns(samples[samples.Length / 2]);
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
