using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// Runs one <see cref="VhostPortLoops"/> loop for a given number of bursts after a warm-up, for instruction counts:
/// run it under <c>valgrind --tool=callgrind</c> with two burst counts and divide the difference in instructions by
/// the difference in packets (start-up and JIT cancel out). Also prints ns per packet of wall-clock and of process CPU
/// time (which leaves out what a shared host steals from this VM's vCPUs).
/// </summary>
internal static class VhostLoopRun
{
    public static void Run(string direction, int bursts)
    {
        using BufferPool pool = BufferPool.Create(4096, 2048, PageKind.Small);
        using var guest = new SyntheticSplitGuest(pool, mergeable: true);
        var burst = new PacketBuffer[VhostPortLoops.Burst];
        bool rx = direction == "rx";
        long Loop(int n) => rx ? VhostPortLoops.Receive(guest, burst, n) : VhostPortLoops.Transmit(guest, pool, burst, n);

        // Warm-up: short calls for a second, a pause, and a second more, so the loop and everything it calls run
        // their Tier1 code with profile data (as a long-running poller does), not an on-stack-replacement variant.
        for (int phase = 0; phase < 2; phase++)
        {
            var warm = Stopwatch.StartNew();
            while (warm.ElapsedMilliseconds < 1000)
            {
                Loop(100);
            }

            Thread.Sleep(300);
        }

        TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        long packets = 0;
        for (int done = 0; done < bursts; done += 100)
        {
            packets += Loop(Math.Min(100, bursts - done));
        }

        clock.Stop();
        TimeSpan cpu = Environment.CpuUsage.TotalTime - cpu0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"vhost-loop {direction}: {packets} packets, {clock.Elapsed.TotalNanoseconds / packets:F1} ns/packet wall, {cpu.TotalNanoseconds / packets:F1} ns/packet CPU"));
    }
}
