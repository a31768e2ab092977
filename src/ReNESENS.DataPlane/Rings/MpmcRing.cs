using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// A bounded ring that any number of producer and consumer threads may use at once, like DPDK's MP/MC rte_ring.
/// </summary>
/// <remarks>
/// <para>A call reserves its slots with a compare-and-swap on its side's head, copies, then waits for the calls that reserved before it on the same side to finish before publishing, so items leave in the order their slots were reserved and each item is dequeued exactly once. Items enqueued by one call stay contiguous and in order. A thread preempted between reserving and publishing delays the threads that reserved after it on its side (they spin, then yield): keep producers and consumers to about one per core.</para>
/// <para>
/// Capacity is a power of two and every slot is usable. Items are copied by value; nothing is
/// allocated and no lock is taken after construction. <c>Burst</c> calls move as many items as
/// they can and return how many; <c>Bulk</c> calls move all the items or none.
/// </para>
/// </remarks>
/// <typeparam name="T">The element type, copied by value (for example a <see cref="long"/> or a buffer handle).</typeparam>
public sealed class MpmcRing<T>
    where T : unmanaged
{
    private RingState<T> _state;

    /// <summary>Creates an empty ring.</summary>
    /// <param name="capacity">Number of slots: a power of two from 2 to 2^30.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not a power of two, or is below 2 or above 2^30.</exception>
    public MpmcRing(int capacity) => _state = new RingState<T>(capacity);

    /// <summary>Number of slots.</summary>
    public int Capacity => _state.Capacity;

    /// <summary>Number of items in the ring: a snapshot, exact only while no thread is enqueuing or dequeuing.</summary>
    public int Count => _state.Count;

    /// <summary>Number of free slots: a snapshot, exact only while no thread is enqueuing or dequeuing.</summary>
    public int FreeCount => _state.Capacity - _state.Count;

    /// <summary>Enqueues as many of <paramref name="items"/>, in order, as there is room for.</summary>
    /// <param name="items">The items to enqueue.</param>
    /// <returns>How many were enqueued (the first that many of <paramref name="items"/>), from 0 to <paramref name="items"/>.Length.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int EnqueueBurst(ReadOnlySpan<T> items) => _state.Enqueue<MultiThreadSync>(items, bulk: false);

    /// <summary>Enqueues all of <paramref name="items"/>, in order, or none of them when there is not room for all.</summary>
    /// <param name="items">The items to enqueue; more than <see cref="Capacity"/> never fit.</param>
    /// <returns>True when all were enqueued (always for an empty span), false when none were.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool EnqueueBulk(ReadOnlySpan<T> items) => _state.Enqueue<MultiThreadSync>(items, bulk: true) == items.Length;

    /// <summary>Dequeues up to <paramref name="destination"/>.Length items, oldest first.</summary>
    /// <param name="destination">Where the items are copied, from its start.</param>
    /// <returns>How many were dequeued, from 0 to <paramref name="destination"/>.Length.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DequeueBurst(Span<T> destination) => _state.Dequeue<MultiThreadSync>(destination, bulk: false);

    /// <summary>Dequeues exactly <paramref name="destination"/>.Length items, oldest first, or none when fewer are there.</summary>
    /// <param name="destination">Where the items are copied; left untouched when this returns false.</param>
    /// <returns>True when the span was filled (always for an empty span), false when nothing was dequeued.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool DequeueBulk(Span<T> destination) => _state.Dequeue<MultiThreadSync>(destination, bulk: true) == destination.Length;

    /// <summary>Enqueues one item if there is room.</summary>
    /// <param name="item">The item.</param>
    /// <returns>True when enqueued, false when the ring was full.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(T item) => _state.TryEnqueue<MultiThreadSync>(item);

    /// <summary>Dequeues the oldest item if there is one.</summary>
    /// <param name="item">The item, or <see langword="default"/> when the ring was empty.</param>
    /// <returns>True when an item was dequeued, false when the ring was empty.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out T item) => _state.TryDequeue<MultiThreadSync>(out item);
}
