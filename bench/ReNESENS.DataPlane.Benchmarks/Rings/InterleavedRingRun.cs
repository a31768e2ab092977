using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// A paired, interleaved cross-thread run for noisy machines (<c>-- interleaved [rounds]</c>):
/// each round times rte_ring, our ring and the channel back to back for every mode and burst, so
/// a burst of outside load hits all three alike; the ratio reported is the median of the
/// per-round ratios. BenchmarkDotNet runs each benchmark minutes apart, which on a shared 2-vCPU
/// box can put a quiet minute against a busy one.
/// </summary>
internal static class InterleavedRingRun
{
    private const int RingItems = 1 << 20;

    // The channel is ~100x slower; fewer items keep a round short. The producer thread's start
    // (~0.1 ms) stays under 0.1% of a channel call either way.
    private const int ChannelItems = 1 << 18;

    public static void Run(int rounds)
    {
        var producerBuffer = new long[1024];
        var consumerBuffer = new long[1024];
        nint rteSpsc = RteRingAnchor.Create(1024, 0);
        nint rteMpmc = RteRingAnchor.Create(1024, 1);
        var spsc = new SpscRing<long>(1024);
        var mpmc = new MpmcRing<long>(1024);
        var channelSingle = Channel.CreateBounded<long>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var channelMulti = Channel.CreateBounded<long>(new BoundedChannelOptions(1024));

        Console.WriteLine($"interleaved cross-thread run, {rounds} rounds (+2 warmup), ns/item: median (min)");
        Console.WriteLine("| mode | burst | rte_ring | ours | Channel | ours/rte_ring (median of per-round ratios) | Channel/ours |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (bool multi in new[] { false, true })
        {
            foreach (int burst in new[] { 1, 8, 32, 128 })
            {
                var rte = new List<double>();
                var ours = new List<double>();
                var channel = new List<double>();
                for (int round = 0; round < rounds + 2; round++)
                {
                    double a = Time(RingItems, () => (long)RteRingAnchor.CrossThread(multi ? rteMpmc : rteSpsc, (uint)burst, RingItems, multi ? 1 : 0));
                    double b = multi
                        ? Time(RingItems, () => RingLoops.CrossThread(new MpmcAdapter(mpmc), producerBuffer, consumerBuffer, burst, RingItems))
                        : Time(RingItems, () => RingLoops.CrossThread(new SpscAdapter(spsc), producerBuffer, consumerBuffer, burst, RingItems));
                    double c = Time(ChannelItems, () => RingLoops.CrossThread(new ChannelAdapter(multi ? channelMulti : channelSingle), producerBuffer, consumerBuffer, burst, ChannelItems));
                    if (round >= 2)
                    {
                        rte.Add(a);
                        ours.Add(b);
                        channel.Add(c);
                    }
                }

                double ratio = Median(rte.Zip(ours, (r, o) => o / r).ToList());
                double channelRatio = Median(channel.Zip(ours, (c, o) => c / o).ToList());
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {(multi ? "MPMC" : "SPSC")} | {burst} | {Median(rte):F2} ({rte.Min():F2}) | {Median(ours):F2} ({ours.Min():F2}) | {Median(channel):F1} ({channel.Min():F1}) | {ratio:F2} | {channelRatio:F0} |"));
            }
        }

        RteRingAnchor.Free(rteSpsc);
        RteRingAnchor.Free(rteMpmc);
    }

    private static double Time(long items, Func<long> run)
    {
        long start = Stopwatch.GetTimestamp();
        long sum = run();
        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / items;
        return sum == RteRingAnchor.ExpectedSum(items) ? ns : throw new InvalidOperationException($"lost or corrupted items: sum {sum}");
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
