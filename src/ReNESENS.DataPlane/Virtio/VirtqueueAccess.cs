using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// The per-buffer calls of a virtqueue as a generic struct policy: the port's burst loops are specialized per ring
/// layout, so these calls are direct (and inlined) instead of virtual once per buffer.
/// </summary>
internal interface IVirtqueueAccess
{
    /// <summary>The queue, for its non-virtual members.</summary>
    Virtqueue Queue { get; }

    /// <inheritdoc cref="Virtqueue.Position"/>
    QueuePosition Position { get; }

    /// <inheritdoc cref="Virtqueue.CountAvailable"/>
    int CountAvailable(int max);

    /// <summary>Starts loading what taking the next <paramref name="count"/> available buffers reads (a hint: nothing changes).</summary>
    void Prefetch(int count);

    /// <inheritdoc cref="Virtqueue.TryTake"/>
    bool TryTake(bool deviceWrites, out VirtqueueBuffer buffer);

    /// <inheritdoc cref="Virtqueue.Restore"/>
    void Restore(QueuePosition position);

    /// <inheritdoc cref="Virtqueue.AddUsed"/>
    void AddUsed(in VirtqueueBuffer buffer, uint written);
}

/// <summary>A split ring as an <see cref="IVirtqueueAccess"/> policy.</summary>
internal readonly struct SplitAccess(SplitVirtqueue queue) : IVirtqueueAccess
{
    public Virtqueue Queue => queue;

    public QueuePosition Position
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => queue.Position;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CountAvailable(int max) => queue.CountAvailable(max);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int count) => queue.Prefetch(count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTake(bool deviceWrites, out VirtqueueBuffer buffer) => queue.TryTake(deviceWrites, out buffer);

    public void Restore(QueuePosition position) => queue.Restore(position);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddUsed(in VirtqueueBuffer buffer, uint written) => queue.AddUsed(buffer, written);
}

/// <summary>A packed ring as an <see cref="IVirtqueueAccess"/> policy.</summary>
internal readonly struct PackedAccess(PackedVirtqueue queue) : IVirtqueueAccess
{
    public Virtqueue Queue => queue;

    public QueuePosition Position
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => queue.Position;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CountAvailable(int max) => queue.CountAvailable(max);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int count) => queue.Prefetch(count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTake(bool deviceWrites, out VirtqueueBuffer buffer) => queue.TryTake(deviceWrites, out buffer);

    public void Restore(QueuePosition position) => queue.Restore(position);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddUsed(in VirtqueueBuffer buffer, uint written) => queue.AddUsed(buffer, written);
}
