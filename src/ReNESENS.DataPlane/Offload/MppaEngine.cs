using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The offload engine on a device that implements the device ABI (<c>renesens_dpu.h</c>): a Kalray
/// MPPA board's runtime, or — only when configuration names it — the emulated device, which this
/// engine reports as emulated in its name, description, metrics and logs, never as a board.
/// </summary>
/// <remarks>
/// <para>Each queue pair keeps device queue pairs of its own (one per <see cref="Memory.DmaRegion"/> its
/// operations use) and submits descriptors in batches; when the device queue is full, Submit accepts
/// fewer operations (backpressure).</para>
/// <para>Nothing is lost and nothing completes twice: an operation the device fails (a device error or
/// a status outside the ABI), drops (a reset) or keeps too long (<see cref="OffloadEngineOptions.DeviceTimeout"/>,
/// after which the engine resets the device) runs again in software on the same queue pair; a late
/// device completion for it is recognised and dropped, and so is a completion whose numbers the
/// operation cannot have (<see cref="MppaCompletionMap"/>). Operations the device has no descriptor for
/// (buffers in two regions, invalid parameters, GCM on a device without the GCM ops) run in software
/// from the start.</para>
/// </remarks>
public sealed class MppaEngine : IOffloadEngine
{
    /// <summary>The device operations this engine needs: every kernel but GCM (optional: software runs it on a device without it), and chains.</summary>
    internal const ulong RequiredOps =
        (1UL << (int)DpuOp.Crc32C) | (1UL << (int)DpuOp.Crc64Nvme) | (1UL << (int)DpuOp.Crc16T10Dif)
        | (1UL << (int)DpuOp.PiGenerate) | (1UL << (int)DpuOp.PiVerify) | (1UL << (int)DpuOp.Lz4Compress)
        | (1UL << (int)DpuOp.Lz4Decompress) | (1UL << (int)DpuOp.XtsEncrypt) | (1UL << (int)DpuOp.XtsDecrypt)
        | (1UL << (int)DpuOp.Chain);

    /// <summary>The device's GCM operations: used when both are in its op mask.</summary>
    internal const ulong GcmOps = (1UL << (int)DpuOp.GcmEncrypt) | (1UL << (int)DpuOp.GcmDecrypt);

    private readonly DpuRuntime _runtime;
    private readonly SoftwareEngine _software;
    private readonly ulong[] _deviceKeys; // per software key slot: (generation << 32) | device handle; 0 = none (the slot's kind is the key's)
    private readonly List<MppaQueuePair> _queuePairs = [];
    private readonly Lock _lock = new();
    private int _disposed;

    internal MppaEngine(DpuRuntime runtime, OffloadEngineOptions options)
    {
        _runtime = runtime;
        DeviceName = runtime.Name;
        IsEmulated = runtime.IsEmulated;
        Name = IsEmulated ? "mppa-emulated" : "mppa";
        int maxData = (int)Math.Min((uint)options.MaxDataSize, runtime.Info.MaxDataSize);
        var softwareOptions = new OffloadEngineOptions
        {
            MaxQueuePairs = options.MaxQueuePairs,
            MaxQueueDepth = options.MaxQueueDepth,
            MaxDataSize = Math.Min(maxData, SoftwareEngine.MaxDataSizeLimit),
            MaxKeys = options.MaxKeys,
            MeterFactory = options.MeterFactory,
        };
        _software = new SoftwareEngine(softwareOptions);
        _deviceKeys = new ulong[options.MaxKeys];
        DeviceHasGcm = (runtime.Info.OpMask & GcmOps) == GcmOps;
        Timeout = options.DeviceTimeout;
        Logger = options.LoggerFactory?.CreateLogger<MppaEngine>() ?? (ILogger)NullLogger.Instance;
        Metrics = new OffloadMetrics(options.MeterFactory, Name);
        Counters = new MppaCounters(options.MeterFactory, Name);
        var operations = new HashSet<OffloadOpKind>(_software.Capabilities.Operations);
        string what = IsEmulated ? $"emulated device '{DeviceName}' (software on host threads, not a board)" : $"board '{DeviceName}'";
        Capabilities = new OffloadCapabilities
        {
            IsHardware = !IsEmulated,
            Operations = operations,
            MaxQueuePairs = (int)Math.Min((uint)options.MaxQueuePairs, runtime.Info.MaxQueuePairs),
            MaxQueueDepth = (int)Math.Min((uint)options.MaxQueueDepth, runtime.Info.MaxQueueDepth),
            MaxDataSize = softwareOptions.MaxDataSize,
            MaxKeys = options.MaxKeys,
            CpuFeatures = _software.Capabilities.CpuFeatures,
            Description = $"MPPA engine on {what} through runtime '{runtime.LibraryName}' (ABI {runtime.Info.AbiVersion}, device version {runtime.Info.DeviceVersion}); software fallback with {OffloadCpu.Describe(_software.Capabilities.CpuFeatures)}",
        };
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public OffloadCapabilities Capabilities { get; }

    /// <summary>The device's own name.</summary>
    public string DeviceName { get; }

    /// <summary>True when the device is the emulated one (work runs on host threads, not on a board).</summary>
    public bool IsEmulated { get; }

    /// <summary>True when the device has both GCM operations (else GCM runs in software).</summary>
    internal bool DeviceHasGcm { get; }

    internal TimeSpan Timeout { get; }

    internal ILogger Logger { get; }

    internal OffloadMetrics Metrics { get; }

    internal MppaCounters Counters { get; }

    internal DpuRuntime Runtime => _runtime;

    internal SoftwareEngine Software => _software;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc />
    public OffloadKey LoadKey(OffloadKeyKind kind, ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        OffloadKey handle = _software.LoadKey(kind, key);
        if (kind == OffloadKeyKind.AesXts256 || (kind == OffloadKeyKind.AesGcm256 && DeviceHasGcm))
        {
            try
            {
                uint device = _runtime.LoadKey(kind == OffloadKeyKind.AesXts256 ? DpuKeyType.AesXts256 : DpuKeyType.AesGcm256, key);
                Volatile.Write(ref _deviceKeys[handle.Slot], ((ulong)(uint)handle.Generation << 32) | device);
            }
            catch (NativeCallException)
            {
                // The device has no room (or refuses the key): operations with it run in software.
                Volatile.Write(ref _deviceKeys[handle.Slot], 0);
            }
        }

        return handle;
    }

    /// <inheritdoc />
    public void UnloadKey(OffloadKey key)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if ((uint)key.Slot < (uint)_deviceKeys.Length && _software.Keys.IsCurrent(key))
        {
            ulong entry = Interlocked.Exchange(ref _deviceKeys[key.Slot], 0);
            if (entry != 0 && (int)(entry >> 32) == key.Generation)
            {
                _runtime.DestroyKey((uint)entry);
            }
        }

        _software.UnloadKey(key);
    }

    /// <inheritdoc />
    public IOffloadQueuePair CreateQueuePair(int depth)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, Capabilities.MaxQueueDepth);
        lock (_lock)
        {
            if (_queuePairs.Count >= Capabilities.MaxQueuePairs)
            {
                throw new InvalidOperationException($"{Capabilities.MaxQueuePairs} queue pairs are open; dispose one first.");
            }

            var qp = new MppaQueuePair(this, depth);
            _queuePairs.Add(qp);
            return qp;
        }
    }

    /// <summary>Destroys the queue pairs (their device queue pairs first), the device keys and the device.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        MppaQueuePair[] open;
        lock (_lock)
        {
            open = [.. _queuePairs];
        }

        foreach (MppaQueuePair qp in open)
        {
            qp.Dispose();
        }

        _runtime.Dispose();
        _software.Dispose();
        Counters.Dispose();
        Metrics.Dispose();
    }

    /// <summary>The device handle of a current key of <paramref name="kind"/>; false when the device does not hold it.</summary>
    internal bool TryGetDeviceKey(OffloadKey key, OffloadKeyKind kind, out uint handle)
    {
        handle = 0;
        if (key.Kind != kind || (uint)key.Slot >= (uint)_deviceKeys.Length || !_software.Keys.IsCurrent(key))
        {
            return false;
        }

        ulong entry = Volatile.Read(ref _deviceKeys[key.Slot]);
        if (entry == 0 || (int)(entry >> 32) != key.Generation)
        {
            return false;
        }

        handle = (uint)entry;
        return true;
    }

    internal void Release(MppaQueuePair qp)
    {
        lock (_lock)
        {
            _queuePairs.Remove(qp);
        }
    }
}
