using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// 4 KiB CRC32C, LZ4 compress, XTS encrypt and the write chain (PI -> LZ4 -> XTS) through the offload
/// engine API: the software engine inline (the anchor) against the MPPA engine over the emulated device
/// with one and two worker threads, in batches of 32, 256 operations per invocation. Besides time, each
/// case prints the host thread's CPU time per operation (thread-cpu: everything, spinning on empty polls
/// included) and its CPU time inside the Submit and Poll calls that moved work (active-cpu: what the
/// device path costs the host; "HOSTCPU" lines in the log).
/// </summary>
[Config(typeof(DevicePathConfig))]
[MemoryDiagnoser]
public class DevicePathBenchmarks
{
    private const int Ops = 256;
    private const int Batch = 32;
    private const int Size = 4096;

    private IOffloadEngine _engine = null!;
    private IOffloadQueuePair _qp = null!;
    private DmaRegion _region = null!;
    private OffloadOp[] _ops = null!;
    private OffloadCompletion[] _done = null!;
    private long _cpu;
    private long _active;
    private long _count;

    /// <summary>The operation.</summary>
    [Params("crc32c", "lz4", "xts", "write-chain")]
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

        _engine = OffloadEngines.Open(options).Engine;
        _qp = _engine.CreateQueuePair(Ops);
        _region = DmaRegion.Create(8 << 20, PageKind.Small);
        Span<byte> all = _region.GetSpan(0, 8 << 20);
        var random = new Random(1);
        for (int i = 0; i < all.Length; i += 64)
        {
            // Half random, half runs: LZ4 compresses it about 2:1.
            Span<byte> line = all.Slice(i, 64);
            if ((i / 64) % 2 == 0)
            {
                random.NextBytes(line);
            }
            else
            {
                line.Fill((byte)(i >> 6));
            }
        }

        byte[] key = new byte[64];
        random.NextBytes(key);
        OffloadKey k = _engine.LoadKey(OffloadKeyKind.AesXts256, key);
        var format = new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1);
        _ops = new OffloadOp[Ops];
        _done = new OffloadCompletion[Batch];
        for (int i = 0; i < Ops; i++)
        {
            var src = new DmaSlice(_region, (long)i * Size, Size);
            var dst = new DmaSlice(_region, (2L << 20) + ((long)i * (Size + 64)), Size + 64);
            var md = new DmaSlice(_region, (6L << 20) + (i * 64L), 64);
            _ops[i] = Op switch
            {
                "crc32c" => OffloadOp.Crc(OffloadOpKind.Crc32C, src, (ulong)i),
                "lz4" => OffloadOp.Lz4(OffloadOpKind.Lz4Compress, src, dst, (ulong)i),
                "xts" => OffloadOp.Xts(OffloadOpKind.XtsEncrypt, k, src, dst.Slice(0, Size), (ulong)i * 8, 512, (ulong)i),
                _ => OffloadOp.Write(OffloadChainSteps.All, k, src, md, dst, (ulong)i * 8, format, new ProtectionInformationTags(0, 0, 0x1234), (ulong)i),
            };
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void Run()
    {
        long cpu = HostCpu.ThreadNanoseconds();
        int submitted = 0;
        int completed = 0;
        long active = 0;
        while (completed < Ops)
        {
            long t0 = HostCpu.ThreadNanoseconds();
            int s = submitted < Ops ? _qp.Submit(_ops.AsSpan(submitted, Math.Min(Batch, Ops - submitted))) : 0;
            long t1 = HostCpu.ThreadNanoseconds();
            int n = _qp.Poll(_done);
            active += (s > 0 ? Math.Max(0, t1 - t0 - HostCpu.Overhead) : 0) + (n > 0 ? HostCpu.Since(t1) : 0);
            submitted += s;
            completed += n;
            if (s + n == 0)
            {
                Thread.SpinWait(20);
            }
        }

        _cpu += HostCpu.ThreadNanoseconds() - cpu;
        _active += active;
        _count += Ops;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"HOSTCPU op={Op} engine={Engine} thread-cpu-ns/op={(double)_cpu / _count:F0} active-cpu-ns/op={(double)_active / _count:F0} ops={_count}");
        _qp.Dispose();
        _engine.Dispose();
        _region.Dispose();
    }
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
