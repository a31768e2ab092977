using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The offload engine on the host CPU, always present. Inline (the default,
/// <see cref="OffloadEngineOptions.SoftwareWorkerThreads"/> = 0): every operation runs on the
/// submitting thread during <see cref="IOffloadQueuePair.Submit"/>, so its completion is ready for
/// the next <see cref="IOffloadQueuePair.Poll"/>; a queue pair per core spreads the work over cores
/// with no cross-core traffic. Worker mode (N &gt; 0): Submit only copies the operations into the
/// queue pair's slots and publishes them on a lock-free ring that N worker threads drain; each
/// completion comes back on the queue pair's completion ring for a later Poll, in the order the
/// workers finish. Both modes run the same operation code and allocate nothing per operation: the
/// chain scratch buffers and cipher instances (built the first time a key is used) belong to each
/// inline queue pair or to each worker.
/// </summary>
public sealed class SoftwareEngine : IOffloadEngine
{
    /// <summary>The largest <see cref="OffloadEngineOptions.MaxDataSize"/>: a compressed chain payload is one XTS data unit, and XTS allows 16 MiB.</summary>
    internal const int MaxDataSizeLimit = 8 << 20;

    private readonly SoftwareKeyTable _keys;
    private readonly SoftwareWorkers? _workers;
    private int _queuePairs;
    private int _disposed;

    /// <summary>Creates the engine.</summary>
    /// <param name="options">Limits and the meter factory; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range (the data size is at most 8 MiB here, the worker threads 0 to 64).</exception>
    public SoftwareEngine(OffloadEngineOptions? options = null)
        : this(options, SoftwareWorkers.MaxRingCapacity)
    {
    }

    /// <summary>Creates the engine with a smaller shared submission ring (tests fill it).</summary>
    internal SoftwareEngine(OffloadEngineOptions? options, int maxSubmissionRing)
    {
        options ??= new OffloadEngineOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxDataSize, MaxDataSizeLimit, nameof(options));
        _keys = new SoftwareKeyTable(options.MaxKeys);
        Metrics = new OffloadMetrics(options.MeterFactory, "software");
        bool openSsl;
        using (var probe = new AesXts(XtsProbeKey()))
        {
            openSsl = probe.Implementation == CipherImplementation.OpenSsl;
        }

        OffloadCpuFeatures features = OffloadCpu.Detect(openSsl);
        int workers = options.SoftwareWorkerThreads;
        string mode = workers switch
        {
            0 => string.Empty,
            1 => " (1 worker thread)",
            _ => $" ({workers} worker threads)",
        };
        var operations = new HashSet<OffloadOpKind>(Enum.GetValues<OffloadOpKind>());
        operations.Remove(OffloadOpKind.None);
        Capabilities = new OffloadCapabilities
        {
            IsHardware = false,
            Operations = operations,
            MaxQueuePairs = options.MaxQueuePairs,
            MaxQueueDepth = options.MaxQueueDepth,
            MaxDataSize = options.MaxDataSize,
            MaxKeys = options.MaxKeys,
            CpuFeatures = features,
            Description = $"software engine{mode} with {OffloadCpu.Describe(features)}",
        };
        if (workers > 0)
        {
            _workers = new SoftwareWorkers(_keys, options.MaxDataSize, workers, options.MaxQueuePairs, Math.Min((long)options.MaxQueuePairs * options.MaxQueueDepth, maxSubmissionRing));
        }
    }

    /// <inheritdoc />
    public string Name => "software";

    /// <inheritdoc />
    public OffloadCapabilities Capabilities { get; }

    /// <summary>The worker threads that run the operations; 0 when they run inline on the submitting thread.</summary>
    public int WorkerThreads => _workers?.Count ?? 0;

    internal OffloadMetrics Metrics { get; }

    internal SoftwareWorkers? Workers => _workers;

    internal SoftwareKeyTable Keys => _keys;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc />
    public OffloadKey LoadKey(OffloadKeyKind kind, ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _keys.Load(kind, key);
    }

    /// <inheritdoc />
    public void UnloadKey(OffloadKey key) => _keys.Unload(key);

    /// <inheritdoc />
    public IOffloadQueuePair CreateQueuePair(int depth)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, Capabilities.MaxQueueDepth);
        if (Interlocked.Increment(ref _queuePairs) > Capabilities.MaxQueuePairs)
        {
            Interlocked.Decrement(ref _queuePairs);
            throw new InvalidOperationException($"{Capabilities.MaxQueuePairs} queue pairs are open; dispose one first.");
        }

        try
        {
            return _workers is null ? new SoftwareQueuePair(this, depth) : new SoftwareWorkerQueuePair(this, _workers, depth);
        }
        catch
        {
            Interlocked.Decrement(ref _queuePairs);
            throw;
        }
    }

    /// <summary>
    /// Stops and joins the worker threads (an operation a worker is running finishes; operations no
    /// worker has started are dropped without running, their buffers untouched), then clears the keys
    /// and closes the meter; open queue pairs then throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _workers?.Dispose();
        _keys.Clear();
        Metrics.Dispose();
    }

    internal void ReleaseQueuePair() => Interlocked.Decrement(ref _queuePairs);

    /// <summary>A fixed XTS key with distinct halves, used once to learn which cipher path this machine runs.</summary>
    private static byte[] XtsProbeKey()
    {
        byte[] key = new byte[AesXts.KeySizeInBytes];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = (byte)i;
        }

        return key;
    }
}
