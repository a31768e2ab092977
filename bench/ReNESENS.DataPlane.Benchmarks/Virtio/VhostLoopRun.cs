using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// Runs one <see cref="VhostPortLoops"/> loop for a given number of bursts after a warm-up, for instruction counts:
/// run it under <c>valgrind --tool=callgrind</c> with two burst counts and divide the difference in instructions by
/// the difference in packets (start-up and JIT cancel out). Also prints the wall-clock ns per packet.
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

        // Warm-up: enough calls for tiered compilation to reach its optimized code.
        for (int i = 0; i < 50; i++)
        {
            Loop(200);
            Thread.Sleep(1);
        }

        var clock = Stopwatch.StartNew();
        long packets = Loop(bursts);
        clock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"vhost-loop {direction}: {packets} packets, {clock.Elapsed.TotalNanoseconds / packets:F1} ns/packet"));
    }
}
