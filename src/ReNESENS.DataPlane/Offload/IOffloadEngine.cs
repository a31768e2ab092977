namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// An offload engine: the software engine, or a device. Keys are loaded once and referenced by
/// handle; work goes through queue pairs, one per core.
/// </summary>
/// <remarks>
/// <see cref="LoadKey"/>, <see cref="UnloadKey"/> and <see cref="CreateQueuePair"/> are thread-safe
/// (control path). Unload a key only when no submitted operation uses it any more.
/// </remarks>
public interface IOffloadEngine : IDisposable
{
    /// <summary>A short name ("software", "mppa").</summary>
    string Name { get; }

    /// <summary>What this engine does and its limits.</summary>
    OffloadCapabilities Capabilities { get; }

    /// <summary>Loads a key; operations then reference it by the returned handle.</summary>
    /// <param name="kind">The cipher.</param>
    /// <param name="key">The key bytes (64 for XTS, 32 for GCM); copied, the caller may clear its copy.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="ArgumentException">The key has the wrong length, or XTS halves are equal.</exception>
    /// <exception cref="InvalidOperationException">Every key slot is in use.</exception>
    OffloadKey LoadKey(OffloadKeyKind kind, ReadOnlySpan<byte> key);

    /// <summary>Unloads a key and clears its bytes; later operations with the handle complete with <see cref="OffloadStatus.InvalidKey"/>. Unknown handles are ignored.</summary>
    /// <param name="key">The handle.</param>
    void UnloadKey(OffloadKey key);

    /// <summary>Creates a queue pair for one core (one thread at a time submits and polls it).</summary>
    /// <param name="depth">The most operations submitted and not yet polled, 1 to <see cref="OffloadCapabilities.MaxQueueDepth"/>.</param>
    /// <returns>The queue pair; dispose it to release its resources.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException"><see cref="OffloadCapabilities.MaxQueuePairs"/> queue pairs are open.</exception>
    IOffloadQueuePair CreateQueuePair(int depth);
}
