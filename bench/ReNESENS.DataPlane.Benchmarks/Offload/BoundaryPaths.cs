using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>One way across the boundary: submit a batch, poll what came back.</summary>
internal abstract class BoundaryPath : IDisposable
{
    /// <summary>Descriptors per submit.</summary>
    internal const int Batch = 32;

    /// <summary>Opens the path named "abi/device" or "engine/device" (device: software, null, emulated, emulated-sleep) on <paramref name="region"/>.</summary>
    internal static BoundaryPath Open(string name, string emulatedRuntime, DmaRegion region, string? config = null)
    {
        string[] parts = name.Split('/');
        (string library, string defaultConfig) = parts[1] switch
        {
            "null" => (NullDeviceRuntime.Path, ""),
            "emulated" => (emulatedRuntime, "workers=1"),
            "emulated-sleep" => (emulatedRuntime, "workers=1;spin=0"),
            "software" => (string.Empty, string.Empty),
            _ => throw new ArgumentException($"unknown device '{parts[1]}'", nameof(name)),
        };
        return parts[0] == "abi" ? new AbiPath(library, config ?? defaultConfig, region) : new EnginePath(library, config ?? defaultConfig, region);
    }

    internal abstract int Submit();

    internal abstract void SubmitOne();

    internal abstract int Poll();

    public abstract void Dispose();
}

/// <summary>NOP descriptors through DpuQueuePair (the ABI alone).</summary>
internal sealed class AbiPath : BoundaryPath
{
    private readonly DpuRuntime _runtime;
    private readonly DpuQueuePair _qp;
    private readonly DpuDescriptor[] _nops = new DpuDescriptor[BoundaryPath.Batch];
    private readonly DpuCompletion[] _polled = new DpuCompletion[BoundaryPath.Batch];

    internal AbiPath(string library, string config, DmaRegion region)
    {
        if (!DpuRuntime.TryOpen(library, config, MppaEngine.RequiredOps, out DpuRuntime? runtime, out string reason))
        {
            throw new InvalidOperationException(reason);
        }

        _runtime = runtime;
        _qp = runtime.CreateQueuePair(region, 256);
        for (int i = 0; i < BoundaryPath.Batch; i++)
        {
            _nops[i] = new DpuDescriptor { Cookie = (ulong)i, Op = DpuOp.Nop };
        }
    }

    internal override int Submit() => _qp.Submit(_nops);

    internal override void SubmitOne() => _qp.Submit(_nops.AsSpan(0, 1));

    internal override int Poll() => _qp.Poll(_polled);

    public override void Dispose()
    {
        _qp.Dispose();
        _runtime.Dispose();
    }
}

/// <summary>1-byte CRC32C operations through an engine's queue pair.</summary>
internal sealed class EnginePath : BoundaryPath
{
    private readonly IOffloadEngine _engine;
    private readonly IOffloadQueuePair _qp;
    private readonly OffloadOp[] _ops = new OffloadOp[BoundaryPath.Batch];
    private readonly OffloadCompletion[] _done = new OffloadCompletion[BoundaryPath.Batch];

    internal EnginePath(string library, string config, DmaRegion region)
    {
        var options = new OffloadEngineOptions();
        if (library.Length > 0)
        {
            options.DeviceRuntime = library;
            options.DeviceConfig = config;
        }

        OffloadEngineSelection selection = OffloadEngines.Open(options);
        if (library.Length > 0 && selection.Kind != OffloadEngineKind.Mppa)
        {
            throw new InvalidOperationException(selection.Reason);
        }

        _engine = selection.Engine;
        _qp = _engine.CreateQueuePair(256);

        // A 0-byte slice is the empty slice, which names no region and so never reaches the device:
        // 1-byte CRCs stand in for empty work (one table step on the device).
        for (int i = 0; i < BoundaryPath.Batch; i++)
        {
            _ops[i] = OffloadOp.Crc(OffloadOpKind.Crc32C, new DmaSlice(region, i, 1), (ulong)i);
        }
    }

    internal override int Submit() => _qp.Submit(_ops);

    internal override void SubmitOne() => _qp.Submit(_ops.AsSpan(0, 1));

    internal override int Poll() => _qp.Poll(_done);

    public override void Dispose()
    {
        _qp.Dispose();
        _engine.Dispose();
    }
}
