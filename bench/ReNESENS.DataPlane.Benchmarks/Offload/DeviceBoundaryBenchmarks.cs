using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// The cost of the device boundary per descriptor at batch 32, on descriptors with no work in them:
/// NOP descriptors straight through the ABI (DpuQueuePair), and 0-byte CRC32C operations through the
/// MPPA engine (translation, slot bookkeeping, completion mapping). The host-side figure (thread CPU
/// time inside the Submit and Poll calls that moved descriptors) is printed as HOSTCPU lines.
/// </summary>
[Config(typeof(DevicePathConfig))]
[MemoryDiagnoser]
public class DeviceBoundaryBenchmarks
{
    private const int Batch = 32;

    private DpuRuntime _runtime = null!;
    private DpuQueuePair _abi = null!;
    private DpuDescriptor[] _nops = null!;
    private DpuCompletion[] _polled = null!;
    private IOffloadEngine _engine = null!;
    private IOffloadQueuePair _qp = null!;
    private OffloadOp[] _crc0 = null!;
    private OffloadCompletion[] _done = null!;
    private DmaRegion _region = null!;
    private long _abiBusy;
    private long _abiCount;
    private long _engineBusy;
    private long _engineCount;

    [GlobalSetup]
    public void Setup()
    {
        _region = DmaRegion.Create(1 << 20, PageKind.Small);
        if (!DpuRuntime.TryOpen(DpuRuntime.Resolve(OffloadEngineOptions.EmulatedDeviceRuntime), "workers=1", MppaEngine.RequiredOps, out DpuRuntime? runtime, out string reason))
        {
            throw new InvalidOperationException(reason);
        }

        _runtime = runtime;
        _abi = runtime.CreateQueuePair(_region, 256);
        _nops = new DpuDescriptor[Batch];
        _polled = new DpuCompletion[Batch];
        for (int i = 0; i < Batch; i++)
        {
            _nops[i] = new DpuDescriptor { Cookie = (ulong)i, Op = DpuOp.Nop };
        }

        _engine = OffloadEngines.Open(new OffloadEngineOptions { DeviceRuntime = OffloadEngineOptions.EmulatedDeviceRuntime, DeviceConfig = "workers=1" }).Engine;
        _qp = _engine.CreateQueuePair(256);
        _crc0 = new OffloadOp[Batch];
        _done = new OffloadCompletion[Batch];
        // A 0-byte slice is the empty slice, which names no region and so never reaches the device:
        // 1-byte CRCs stand in for empty work (one table step on the device).
        for (int i = 0; i < Batch; i++)
        {
            _crc0[i] = OffloadOp.Crc(OffloadOpKind.Crc32C, new DmaSlice(_region, i, 1), (ulong)i);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void AbiNopBatch32()
    {
        long t0 = HostCpu.ThreadNanoseconds();
        int sent = _abi.Submit(_nops);
        long busy = HostCpu.Since(t0);
        int got = 0;
        while (got < sent)
        {
            long t1 = HostCpu.ThreadNanoseconds();
            int n = _abi.Poll(_polled);
            if (n > 0)
            {
                busy += HostCpu.Since(t1);
                got += n;
            }
        }

        _abiBusy += busy;
        _abiCount += sent;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void EngineCrc1ByteBatch32()
    {
        long t0 = HostCpu.ThreadNanoseconds();
        int sent = _qp.Submit(_crc0);
        long busy = HostCpu.Since(t0);
        int got = 0;
        while (got < sent)
        {
            long t1 = HostCpu.ThreadNanoseconds();
            int n = _qp.Poll(_done);
            if (n > 0)
            {
                busy += HostCpu.Since(t1);
                got += n;
            }
        }

        _engineBusy += busy;
        _engineCount += sent;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_abiCount > 0)
        {
            Console.WriteLine($"HOSTCPU boundary=abi-nop host-cpu-ns/descriptor={(double)_abiBusy / _abiCount:F0} (reading overhead {HostCpu.Overhead} ns subtracted)");
        }

        if (_engineCount > 0)
        {
            Console.WriteLine($"HOSTCPU boundary=engine-crc1 host-cpu-ns/descriptor={(double)_engineBusy / _engineCount:F0}");
        }

        _qp.Dispose();
        _engine.Dispose();
        _abi.Dispose();
        _runtime.Dispose();
        _region.Dispose();
    }
}
