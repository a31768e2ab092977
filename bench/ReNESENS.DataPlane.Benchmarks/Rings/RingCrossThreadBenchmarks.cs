using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// A new producer thread per invocation enqueues bursts while the benchmark thread dequeues them (busy polling on both sides): throughput across two cores.
/// Per category (SPSC, MPMC) the baseline is DPDK rte_ring in the same mode; the ring and the
/// bounded channel (capacity 1024 each) move the same 8-byte items with the same burst size.
/// Results are per item.
/// </summary>
[Config(typeof(RingBenchmarkConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RingCrossThreadBenchmarks : IDisposable
{
    /// <summary>Items moved per invocation.</summary>
    public const int Items = 1 << 20;

    private const int Capacity = 1024;

    private readonly long[] _buffer = new long[1024];
    private readonly long[] _producerBuffer = new long[1024];
    private SpscRing<long> _spsc = null!;
    private MpmcRing<long> _mpmc = null!;
    private Channel<long> _channelSingle = null!;
    private Channel<long> _channelMulti = null!;
    private nint _rteSpsc;
    private nint _rteMpmc;

    /// <summary>Items per enqueue/dequeue call.</summary>
    [Params(1, 8, 32, 128)]
    public int Burst { get; set; }

    /// <summary>Creates the rings and channels.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _spsc = new SpscRing<long>(Capacity);
        _mpmc = new MpmcRing<long>(Capacity);
        _channelSingle = Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        _channelMulti = Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity) { SingleReader = false, SingleWriter = false });
        _rteSpsc = RteRingAnchor.Create(Capacity, multi: 0);
        _rteMpmc = RteRingAnchor.Create(Capacity, multi: 1);
        if (_rteSpsc == 0 || _rteMpmc == 0)
        {
            throw new InvalidOperationException("rte_ring_init failed");
        }
    }

    /// <summary>Frees the native rings.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        RteRingAnchor.Free(_rteSpsc);
        RteRingAnchor.Free(_rteMpmc);
        _rteSpsc = _rteMpmc = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>DPDK rte_ring, SP/SC.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("SPSC")]
    public long RteRing_SpSc() => Check((long)RteRingAnchor.CrossThread(_rteSpsc, (uint)Burst, Items, multi: 0));

    /// <summary>Our <see cref="SpscRing{T}"/>.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("SPSC")]
    public long SpscRing() => Check(RingLoops.CrossThread(new SpscAdapter(_spsc), _producerBuffer, _buffer, Burst, Items));

    /// <summary>Bounded channel, SingleReader and SingleWriter.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("SPSC")]
    public long Channel_Single() => Check(RingLoops.CrossThread(new ChannelAdapter(_channelSingle), _producerBuffer, _buffer, Burst, Items));

    /// <summary>DPDK rte_ring, MP/MC (one producer and one consumer thread using the MP/MC calls).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("MPMC")]
    public long RteRing_MpMc() => Check((long)RteRingAnchor.CrossThread(_rteMpmc, (uint)Burst, Items, multi: 1));

    /// <summary>Our <see cref="MpmcRing{T}"/>.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("MPMC")]
    public long MpmcRing() => Check(RingLoops.CrossThread(new MpmcAdapter(_mpmc), _producerBuffer, _buffer, Burst, Items));

    /// <summary>Bounded channel, multi reader and writer.</summary>
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("MPMC")]
    public long Channel_Multi() => Check(RingLoops.CrossThread(new ChannelAdapter(_channelMulti), _producerBuffer, _buffer, Burst, Items));

    private static long Check(long sum) =>
        sum == RteRingAnchor.ExpectedSum(Items) ? sum : throw new InvalidOperationException($"lost or corrupted items: sum {sum}");
}
