using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// A driver for profilers (<c>-- boundary-profile CASE ROUNDS</c>, CASE as in <see cref="DeviceBoundaryBenchmarks"/>,
/// e.g. <c>engine/null</c>): 1,000 warmup rounds, then ROUNDS rounds of submit 32 + poll until back, and one line
/// with wall and thread-CPU ns per descriptor. Under <c>valgrind --tool=callgrind</c> (with
/// <c>DOTNET_TieredCompilation=0</c>, so the code is optimised from the start), the difference of the total
/// instruction counts of two ROUNDS values, divided by the difference in descriptors, is the exact instruction
/// count per descriptor; under <c>perf record</c> with <c>DOTNET_PerfMapEnabled=1</c> the samples name the JIT's methods.
/// </summary>
internal static class BoundaryProfileRun
{
    public static void Run(string name, int rounds)
    {
        using DmaRegion region = DmaRegion.Create(1 << 20, PageKind.Small);
        using BoundaryPath path = BoundaryPath.Open(name, Interop.DpuRuntime.Resolve(OffloadEngineOptions.EmulatedDeviceRuntime), region);
        RunRounds(path, 1000);
        long wall = Stopwatch.GetTimestamp();
        long cpu = HostCpu.ThreadNanoseconds();
        long descriptors = RunRounds(path, rounds);
        cpu = HostCpu.ThreadNanoseconds() - cpu;
        double wallNs = HostCpu.Ns(Stopwatch.GetTimestamp() - wall);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {descriptors} descriptors, wall {wallNs / descriptors:F1} ns/descriptor, thread CPU {(double)cpu / descriptors:F1} ns/descriptor"));
    }

    private static long RunRounds(BoundaryPath path, int rounds)
    {
        long descriptors = 0;
        for (int r = 0; r < rounds; r++)
        {
            int sent = path.Submit();
            int got = 0;
            while (got < sent)
            {
                got += path.Poll();
            }

            descriptors += sent;
        }

        return descriptors;
    }
}
