using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// The 4 KiB write chain (PI -> LZ4 -> XTS) on the <see cref="SoftwareEngine"/> inline (the anchor)
/// against the same engine with one and two worker threads, 256 operations per invocation in batches
/// of 32 from one queue pair. Besides time, each case prints the submitting thread's CPU time per
/// operation (thread-cpu: everything, waiting on empty polls included) and its CPU time inside the
/// Submit and Poll calls that moved work (active-cpu: what the engine costs the submitting core;
/// "HOSTCPU" lines in the log), as <see cref="DevicePathBenchmarks"/> does for the device path. On an
/// empty poll the submitter yields its core rather than spinning.
/// </summary>
[Config(typeof(DevicePathConfig))]
[MemoryDiagnoser]
public class SoftwareWorkerBenchmarks
{
    private const int Ops = 256;
    private const int Batch = 32;
    private const int Size = 4096;

    private SoftwareEngine _engine = null!;
    private IOffloadQueuePair _qp = null!;
    private DmaRegion _region = null!;
    private OffloadOp[] _ops = null!;
    private OffloadCompletion[] _done = null!;
    private long _cpu;
    private long _active;
    private long _count;

    /// <summary>Worker threads: 0 = inline.</summary>
    [Params(0, 1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = new SoftwareEngine(new OffloadEngineOptions { SoftwareWorkerThreads = Workers });
        _qp = _engine.CreateQueuePair(Ops);
        _region = DmaRegion.Create(8 << 20, PageKind.Small);
        Span<byte> all = _region.GetSpan(0, 8 << 20);
        var random = new Random(1);
        for (int i = 0; i < all.Length; i += 64)
        {
            // Half random, half runs: LZ4 compresses it about 2:1 (the device-path bench's data).
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
            _ops[i] = OffloadOp.Write(OffloadChainSteps.All, k, src, md, dst, (ulong)i * 8, format, new ProtectionInformationTags(0, 0, 0x1234), (ulong)i);
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void WriteChain()
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
            for (int i = 0; i < n; i++)
            {
                if (!_done[i].IsSuccess)
                {
                    throw new InvalidOperationException($"write {_done[i].UserData}: {_done[i].Status}");
                }
            }

            if (s + n == 0)
            {
                // Give the core away while the workers run: on a machine with fewer free cores than
                // threads, a spinning submitter would take the workers' time.
                Thread.Yield();
            }
        }

        _cpu += HostCpu.ThreadNanoseconds() - cpu;
        _active += active;
        _count += Ops;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"HOSTCPU op=write-chain workers={Workers} thread-cpu-ns/op={(double)_cpu / _count:F0} active-cpu-ns/op={(double)_active / _count:F0} ops={_count}");
        _qp.Dispose();
        _engine.Dispose();
        _region.Dispose();
    }
}
