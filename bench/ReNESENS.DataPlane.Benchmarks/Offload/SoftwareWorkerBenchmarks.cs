using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// The 4 KiB write chain (PI -> LZ4 -> XTS) on the <see cref="SoftwareEngine"/> inline (the anchor)
/// against the same engine with one and two worker threads, 256 operations per invocation in batches
/// of 32 from one queue pair. Besides time, each case prints the submitting thread's CPU time per
/// operation (thread-cpu: everything, waiting on empty polls included) and its time inside the Submit
/// and Poll calls that moved work (in-call: what the engine costs the submitting core; "HOSTCPU" lines in
/// the log, see <see cref="EngineBatchBenchmark"/>), as <see cref="DevicePathBenchmarks"/> does for the
/// device path. On an empty poll the submitter yields its core rather than spinning.
/// </summary>
[Config(typeof(DevicePathConfig))]
[MemoryDiagnoser]
public class SoftwareWorkerBenchmarks : EngineBatchBenchmark
{
    /// <summary>Worker threads: 0 = inline.</summary>
    [Params(0, 1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup() =>
        Setup(
            new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = Workers }),
            (i, b) => OffloadOp.Write(OffloadChainSteps.All, b.XtsKey, b.Source, b.Metadata, b.Destination, (ulong)i * 8, b.Format, new ProtectionInformationTags(0, 0, 0x1234), (ulong)i));

    // Give the core away while the workers run: on a machine with fewer free cores than threads, a spinning
    // submitter would take the workers' time.
    [Benchmark(OperationsPerInvoke = Ops)]
    public void WriteChain() => RunBatches(checkSuccess: true, static () => Thread.Yield());

    [GlobalCleanup]
    public void Cleanup() => Cleanup($"op=write-chain workers={Workers}");
}
