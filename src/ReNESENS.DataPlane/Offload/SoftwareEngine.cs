using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The offload engine on the host CPU, always present. Inline: every operation runs on the
/// submitting thread during <see cref="IOffloadQueuePair.Submit"/>, so its completion is ready for
/// the next <see cref="IOffloadQueuePair.Poll"/>; a queue pair per core spreads the work over cores
/// with no cross-core traffic. Nothing is allocated per operation: each queue pair owns its
/// completion slots, its chain scratch buffers and its cipher instances (built the first time a
/// key is used on it).
/// </summary>
public sealed class SoftwareEngine : IOffloadEngine
{
    /// <summary>The largest <see cref="OffloadEngineOptions.MaxDataSize"/>: a compressed chain payload is one XTS data unit, and XTS allows 16 MiB.</summary>
    internal const int MaxDataSizeLimit = 8 << 20;

    private readonly SoftwareKeyTable _keys;
    private int _queuePairs;
    private int _disposed;

    /// <summary>Creates the engine.</summary>
    /// <param name="options">Limits and the meter factory; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range (the data size is at most 8 MiB here).</exception>
    public SoftwareEngine(OffloadEngineOptions? options = null)
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
            Description = $"software engine with {OffloadCpu.Describe(features)}",
        };
    }

    /// <inheritdoc />
    public string Name => "software";

    /// <inheritdoc />
    public OffloadCapabilities Capabilities { get; }

    internal OffloadMetrics Metrics { get; }

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

        return new SoftwareQueuePair(this, depth);
    }

    /// <summary>Clears the keys and closes the meter; open queue pairs then throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

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
