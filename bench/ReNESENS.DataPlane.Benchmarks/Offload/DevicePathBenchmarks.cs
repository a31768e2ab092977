using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// 4 KiB CRC32C, LZ4 compress, XTS encrypt, GCM seal (16 bytes of AAD) and the write chain (PI -> LZ4 -> XTS)
/// through the offload engine API: the software engine inline (the anchor) against the MPPA engine over the
/// emulated device with one and two worker threads, in batches of 32, 256 operations per invocation. Besides
/// time, each case prints the host thread's CPU time per operation (thread-cpu: everything, spinning on empty
/// polls included) and its time inside the Submit and Poll calls that moved work (in-call: what the device
/// path costs the host; "HOSTCPU" lines in the log, see <see cref="EngineBatchBenchmark"/>). Every invocation
/// seals the same data with the same nonces: fine for timing, never for real traffic.
/// </summary>
[Config(typeof(DevicePathConfig))]
[MemoryDiagnoser]
public class DevicePathBenchmarks : EngineBatchBenchmark
{
    /// <summary>The operation.</summary>
    [Params("crc32c", "lz4", "xts", "gcm", "write-chain")]
    public string Op { get; set; } = "crc32c";

    /// <summary>The engine: software inline, or the emulated device with 1 or 2 workers.</summary>
    [Params("software", "emulated-1", "emulated-2")]
    public string Engine { get; set; } = "software";

    [GlobalSetup]
    public void Setup()
    {
        var options = new OffloadEngineOptions();
        if (Engine != "software")
        {
            options.DeviceRuntime = OffloadEngineOptions.EmulatedDeviceRuntime;
            options.DeviceConfig = Engine == "emulated-1" ? "workers=1" : "workers=2";
        }

        Setup(OffloadEngines.Open(options).Engine, (i, b) => Op switch
        {
            "crc32c" => OffloadOp.Crc(OffloadOpKind.Crc32C, b.Source, (ulong)i),
            "lz4" => OffloadOp.Lz4(OffloadOpKind.Lz4Compress, b.Source, b.Destination, (ulong)i),
            "xts" => OffloadOp.Xts(OffloadOpKind.XtsEncrypt, b.XtsKey, b.Source, b.Destination.Slice(0, Size), (ulong)i * 8, 512, (ulong)i),
            "gcm" => OffloadOp.Gcm(OffloadOpKind.GcmSeal, b.GcmKey, b.Source, b.Destination.Slice(0, Size), b.Metadata.Slice(0, 16), b.NonceAndAad, (ulong)i),
            _ => OffloadOp.Write(OffloadChainSteps.All, b.XtsKey, b.Source, b.Metadata, b.Destination, (ulong)i * 8, b.Format, new ProtectionInformationTags(0, 0, 0x1234), (ulong)i),
        });
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void Run() => RunBatches(checkSuccess: false, static () => Thread.SpinWait(20));

    [GlobalCleanup]
    public void Cleanup() => Cleanup($"op={Op} engine={Engine}");
}

/// <summary>
/// A short in-process job: the machine is shared (a child-process build can time out under load), and
/// ratios within one run matter, not absolute times. In process, the HOSTCPU lines land in the console log.
/// </summary>
public sealed class DevicePathConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public DevicePathConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance).WithId("Short"));
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
