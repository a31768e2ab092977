using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// One thread enqueues a burst then dequeues it, over and over: the cost of the ring's calls without cross-core traffic.
/// Per category (SPSC, MPMC) the baseline is DPDK rte_ring in the same mode; the ring and the
/// bounded channel (capacity 1024 each) move the same 8-byte items with the same burst size.
/// Results are per item.
/// </summary>
[Config(typeof(RingBenchmarkConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RingSingleThreadBenchmarks : RingBenchmarkBase
{
    /// <summary>Items moved per invocation.</summary>
    public const int Items = 1 << 16;

    /// <summary>DPDK rte_ring, SP/SC.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("SPSC")]
    public long RteRing_SpSc() => Check((long)RteRingAnchor.SingleThread(RteSpsc, (uint)Burst, Items, multi: 0), Items);

    /// <summary>Our <see cref="SpscRing{T}"/>.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("SPSC")]
    public long SpscRing() => Check(RingLoops.SingleThread(new SpscAdapter(Spsc), Buffer, Burst, Items), Items);

    /// <summary>Bounded channel, SingleReader and SingleWriter.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("SPSC")]
    public long Channel_Single() => Check(RingLoops.SingleThread(new ChannelAdapter(ChannelSingle), Buffer, Burst, Items), Items);

    /// <summary>DPDK rte_ring, MP/MC (one producer and one consumer thread using the MP/MC calls).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("MPMC")]
    public long RteRing_MpMc() => Check((long)RteRingAnchor.SingleThread(RteMpmc, (uint)Burst, Items, multi: 1), Items);

    /// <summary>Our <see cref="MpmcRing{T}"/>.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("MPMC")]
    public long MpmcRing() => Check(RingLoops.SingleThread(new MpmcAdapter(Mpmc), Buffer, Burst, Items), Items);

    /// <summary>Bounded channel, multi reader and writer.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("MPMC")]
    public long Channel_Multi() => Check(RingLoops.SingleThread(new ChannelAdapter(ChannelMulti), Buffer, Burst, Items), Items);
}
