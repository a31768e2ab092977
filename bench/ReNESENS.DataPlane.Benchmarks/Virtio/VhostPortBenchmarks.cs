using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// Our vhost-user queue pair moving 64-byte packets through split rings that the guest side fills in-process
/// (<see cref="SyntheticSplitGuest"/>): the backend's own cost per packet, without a second process or core.
/// The native anchor is DPDK's net_vhost measured the same way in instructions per packet (callgrind on
/// testpmd's <c>rte_vhost_dequeue_burst</c>/<c>rte_vhost_enqueue_burst</c>; see bench/RESULTS.md), as
/// rte_vhost cannot be driven without a vhost-user connection.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Rings.RingBenchmarkConfig))]
public class VhostPortBenchmarks
{
    private const int Bursts = 1024;
    private const int Packets = Bursts * VhostPortLoops.Burst;

    private readonly PacketBuffer[] _burst = new PacketBuffer[VhostPortLoops.Burst];
    private BufferPool _pool = null!;
    private SyntheticSplitGuest _guest = null!;

    /// <summary>Mergeable receive buffers negotiated (changes the transmit header's num_buffers only).</summary>
    [Params(true)]
    public bool Mergeable { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = BufferPool.Create(4096, 2048, PageKind.Small);
        _guest = new SyntheticSplitGuest(_pool, Mergeable);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _guest.Dispose();
        _pool.Dispose();
    }

    /// <summary>Guest transmit: ReceiveBurst then release, per packet.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public long Receive() => VhostPortLoops.Receive(_guest, _burst, Bursts);

    /// <summary>Guest receive: rent, fill 64 bytes, TransmitBurst (which releases), per packet.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public long Transmit() => VhostPortLoops.Transmit(_guest, _pool, _burst, Bursts);
}
