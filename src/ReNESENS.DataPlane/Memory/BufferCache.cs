namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// One thread's cache of free buffer indices for one <see cref="BufferPool"/> (like a DPDK mempool
/// per-lcore cache): a LIFO array the owner thread uses without atomics, refilled from and flushed
/// to the pool's global free list in bursts of half its size.
/// </summary>
internal sealed class BufferCache
{
    public BufferCache(int size, Thread owner)
    {
        Items = new int[size];
        Owner = owner;
    }

    /// <summary>Free indices; <c>Items[0 .. Count)</c> are valid, the last is the most recently freed.</summary>
    public int[] Items { get; }

    /// <summary>The only thread that uses this cache while it lives.</summary>
    public Thread Owner { get; }

    /// <summary>
    /// Number of valid items. Written plainly by <see cref="Owner"/>; read approximately (Volatile) by
    /// <see cref="BufferPool.Available"/>; read and cleared by a reclaiming thread only after
    /// <c>Owner.Join()</c> returned, which orders the owner's last writes before it.
    /// </summary>
    public int Count;

    /// <summary>True once the items went back to the global list after the owner exited. Written under the pool's registry lock.</summary>
    public bool Reclaimed;
}
