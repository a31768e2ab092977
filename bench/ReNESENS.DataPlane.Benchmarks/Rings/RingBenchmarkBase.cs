using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// The contenders both ring benchmarks share: our two rings, the two bounded channels and the
/// two rte_ring anchors, each with 1024 slots, moving the same 8-byte items with the same burst.
/// </summary>
public abstract class RingBenchmarkBase : IDisposable
{
    /// <summary>Slots in every ring and channel.</summary>
    protected const int Capacity = 1024;

    /// <summary>Items per enqueue/dequeue call.</summary>
    [Params(1, 8, 32, 128)]
    public int Burst { get; set; }

    /// <summary>The benchmark thread's burst buffer.</summary>
    protected long[] Buffer { get; } = new long[Capacity];

    /// <summary>The producer thread's burst buffer (cross-thread runs).</summary>
    protected long[] ProducerBuffer { get; } = new long[Capacity];

    /// <summary>Our single-producer, single-consumer ring.</summary>
    protected SpscRing<long> Spsc { get; private set; } = null!;

    /// <summary>Our multi-producer, multi-consumer ring.</summary>
    protected MpmcRing<long> Mpmc { get; private set; } = null!;

    /// <summary>Bounded channel with SingleReader and SingleWriter.</summary>
    protected Channel<long> ChannelSingle { get; private set; } = null!;

    /// <summary>Bounded channel for many readers and writers.</summary>
    protected Channel<long> ChannelMulti { get; private set; } = null!;

    /// <summary>DPDK rte_ring in SP/SC mode.</summary>
    protected nint RteSpsc { get; private set; }

    /// <summary>DPDK rte_ring in MP/MC mode.</summary>
    protected nint RteMpmc { get; private set; }

    /// <summary>Creates the rings and channels.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Spsc = new SpscRing<long>(Capacity);
        Mpmc = new MpmcRing<long>(Capacity);
        ChannelSingle = Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
        ChannelMulti = Channel.CreateBounded<long>(new BoundedChannelOptions(Capacity) { SingleReader = false, SingleWriter = false });
        RteSpsc = RteRingAnchor.Create(Capacity, multi: 0);
        RteMpmc = RteRingAnchor.Create(Capacity, multi: 1);
        if (RteSpsc == 0 || RteMpmc == 0)
        {
            throw new InvalidOperationException("rte_ring_init failed");
        }
    }

    /// <summary>Frees the native rings.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        RteRingAnchor.Free(RteSpsc);
        RteRingAnchor.Free(RteMpmc);
        RteSpsc = RteMpmc = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns <paramref name="sum"/> when it is the sum of 0..items-1, else throws: no item lost or corrupted.</summary>
    protected static long Check(long sum, int items) =>
        sum == RteRingAnchor.ExpectedSum(items) ? sum : throw new InvalidOperationException($"lost or corrupted items: sum {sum}");
}
