using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// A fixed set of equal-size <see cref="PacketBuffer"/>s carved from a <see cref="DmaRegion"/>, like a
/// DPDK mempool: a lock-free global free list plus a small per-thread cache, no allocation when
/// renting or returning, and no growth: when every buffer is out, renting fails and is counted.
/// </summary>
/// <remarks>
/// <para>
/// Each buffer occupies <see cref="BufferSize"/> bytes (the requested size rounded up to a multiple of
/// <see cref="Alignment"/>), starting at a 64-byte aligned offset. A buffer goes back to the pool when
/// its reference count reaches zero (<see cref="PacketBuffer.Release"/>); the pool never takes it back
/// any other way.
/// </para>
/// <para>
/// Per-thread caches: each thread that rents or releases keeps up to <see cref="CacheSize"/> free
/// indices of this pool, moved to and from the global list in bursts of half that size. Caches
/// belong to one pool (a <see cref="ThreadLocal{T}"/> per pool). Buffers sitting in a live thread's
/// cache can only be rented by that thread, so <see cref="TryRent"/> may fail on one thread while
/// another thread's cache still holds up to <see cref="CacheSize"/> free buffers: size pools for
/// <c>threads x CacheSize</c> of slack, as DPDK does, or pass a cache size of 0. Buffers in the cache
/// of a thread that has exited are taken back to the global list when a rent would otherwise fail
/// and whenever a new thread first uses the pool, so they are never lost; until then they still
/// count as <see cref="Available"/>, not as <see cref="InUse"/>.
/// </para>
/// <para>
/// Counters: no shared counter is written per buffer (that alone doubled the cost of a rent and
/// release). <see cref="Available"/> and <see cref="InUse"/> are computed when read, from the global
/// list's count and every cache's count: exact when no thread is renting or releasing, snapshots
/// otherwise. <see cref="Peak"/> is kept in the burst path of the global list. <see cref="RentFailures"/>
/// is exact.
/// </para>
/// <para>
/// Ownership: a pool made by <see cref="Create"/> owns its region and disposes it. A pool built over a
/// caller's region with the constructor does not: the caller disposes the region after the pool.
/// <see cref="Dispose"/> disposes the per-thread caches (nothing stays referenced from the threads)
/// and must not run concurrently with renting or releasing. Releasing a buffer after its pool was
/// disposed is allowed and keeps the counts right (nothing can rent it again); touching its data is
/// not when the pool owned the region (the view throws <see cref="ObjectDisposedException"/>).
/// </para>
/// </remarks>
public sealed class BufferPool : IDisposable
{
    /// <summary>Default headroom reserved in front of the data of every buffer (DPDK's <c>RTE_PKTMBUF_HEADROOM</c>).</summary>
    public const int DefaultHeadroom = 128;

    /// <summary>Alignment of every buffer and granularity of <see cref="BufferSize"/>: one cache line.</summary>
    public const int Alignment = 64;

    /// <summary>Pass as the cache size to let the pool choose: <c>min(64, capacity / 8)</c>, and no cache below 4.</summary>
    public const int AutoCacheSize = -1;

    private const int MaxAutoCacheSize = 64;

    private readonly DmaRegion _region;
    private readonly bool _ownsRegion;
    private readonly PacketBuffer[] _buffers;
    private readonly FreeIndexStack _free;
    private readonly int _burst;

    /// <summary>Per-thread caches; null when <see cref="CacheSize"/> is 0.</summary>
    private readonly ThreadLocal<BufferCache>? _caches;

    /// <summary>Guards <see cref="_registry"/> changes and the reclaiming of caches of exited threads. Never taken on the fast path.</summary>
    private readonly Lock _registryLock = new();

    /// <summary>Every cache handed out and not reclaimed; replaced (copy on write) under <see cref="_registryLock"/>, read lock-free.</summary>
    private BufferCache[] _registry = [];

    /// <summary>Failed rents. Interlocked by failing renters.</summary>
    private long _rentFailures;

    /// <summary>1 once disposed; written once by <see cref="Dispose"/>.</summary>
    private int _disposed;

    /// <summary>Creates a pool over <paramref name="bufferCount"/> buffers of a caller's region, starting at <paramref name="offset"/>.</summary>
    /// <param name="region">The region; it must hold <see cref="GetRequiredLength"/> bytes from <paramref name="offset"/>. The pool does not own it.</param>
    /// <param name="offset">Offset of the first buffer in the region; a multiple of <see cref="Alignment"/>.</param>
    /// <param name="bufferCount">Number of buffers; positive.</param>
    /// <param name="bufferSize">Bytes per buffer including headroom; positive, rounded up to a multiple of <see cref="Alignment"/>.</param>
    /// <param name="headroom">Bytes reserved in front of the data of a fresh buffer; from 0 to <paramref name="bufferSize"/> - 1.</param>
    /// <param name="cacheSize">Free indices each thread may cache: 0 (no caches), an even number from 2 to <paramref name="bufferCount"/>, or <see cref="AutoCacheSize"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="region"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, offset, headroom or cache size is out of range.</exception>
    /// <exception cref="ArgumentException">The region is too small for the buffers.</exception>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    public BufferPool(DmaRegion region, long offset, int bufferCount, int bufferSize, int headroom = DefaultHeadroom, int cacheSize = AutoCacheSize)
        : this(region, offset, bufferCount, bufferSize, headroom, cacheSize, ownsRegion: false)
    {
    }

    private BufferPool(DmaRegion region, long offset, int bufferCount, int bufferSize, int headroom, int cacheSize, bool ownsRegion)
    {
        ArgumentNullException.ThrowIfNull(region);
        region.ThrowIfDisposed();
        int stride = ValidateShape(bufferCount, bufferSize, headroom, ref cacheSize);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset % Alignment != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The offset must be a multiple of {Alignment}.");
        }

        long needed = (long)bufferCount * stride;
        if (offset > region.Length || needed > region.Length - offset)
        {
            throw new ArgumentException($"{bufferCount} buffers of {stride} bytes need {needed} bytes from offset {offset}, but the region is {region.Length} bytes.", nameof(region));
        }

        _region = region;
        _ownsRegion = ownsRegion;
        RegionOffset = offset;
        BufferSize = stride;
        Headroom = headroom;
        CacheSize = cacheSize;
        _burst = cacheSize / 2;
        _buffers = new PacketBuffer[bufferCount];
        for (int i = 0; i < bufferCount; i++)
        {
            _buffers[i] = new PacketBuffer(this, region, i, offset + ((long)i * stride), stride, headroom);
        }

        _free = new FreeIndexStack(bufferCount);
        _caches = cacheSize > 0 ? new ThreadLocal<BufferCache>(CreateCache, trackAllValues: false) : null;
    }

    /// <summary>The region the buffers live in.</summary>
    public DmaRegion Region => _region;

    /// <summary>True when <see cref="Dispose"/> also disposes <see cref="Region"/> (pools made by <see cref="Create"/>).</summary>
    public bool OwnsRegion => _ownsRegion;

    /// <summary>Offset of the first buffer in <see cref="Region"/>.</summary>
    public long RegionOffset { get; }

    /// <summary>Number of buffers; fixed for the life of the pool.</summary>
    public int Capacity => _buffers.Length;

    /// <summary>Bytes per buffer (the requested size rounded up to <see cref="Alignment"/>), headroom included.</summary>
    public int BufferSize { get; }

    /// <summary>Headroom of a freshly rented buffer.</summary>
    public int Headroom { get; }

    /// <summary>Free indices each thread may cache (0: no per-thread caches).</summary>
    public int CacheSize { get; }

    /// <summary>
    /// Buffers rented and not yet released (reference count above zero): <see cref="Capacity"/> minus
    /// <see cref="Available"/>, as DPDK's <c>rte_mempool_in_use_count</c>. Exact when no thread is renting
    /// or releasing (0 once every buffer is back); while they are, an approximate snapshot. Counting costs
    /// nothing on the rent and release path: no shared counter is written per buffer.
    /// </summary>
    public int InUse => Capacity - Available;

    /// <summary>
    /// High-water mark of buffers taken off the global free list: those in callers' hands plus those
    /// parked in per-thread caches, i.e. <see cref="Capacity"/> minus the lowest the global list ever
    /// went. It reaches <see cref="Capacity"/> when the pool came to the edge of exhaustion. With a
    /// <see cref="CacheSize"/> of 0 it is exactly the peak of <see cref="InUse"/>; with caches it may exceed
    /// that peak by up to <see cref="CacheSize"/> per thread. Maintained in the burst path of the global list
    /// (never per buffer); under concurrency it can miss the true value by the bursts in flight at that moment.
    /// </summary>
    public int Peak => Capacity - Math.Max(0, _free.LowWater);

    /// <summary>
    /// Rent calls that could not be served in full: <see cref="TryRent"/> calls that returned false plus
    /// <see cref="TryRentBurst"/> calls that returned fewer buffers than asked for.
    /// </summary>
    public long RentFailures => Interlocked.Read(ref _rentFailures);

    /// <summary>
    /// Free buffers: on the global list plus in every thread's cache. Exact when no thread is renting or
    /// releasing (then <c>InUse + Available == Capacity</c>); an approximate snapshot otherwise,
    /// because the caches are read without stopping their threads.
    /// </summary>
    public int Available
    {
        get
        {
            long total = Math.Max(0, _free.Count);
            // D1: diagnostic reads, no edge: the array pairs with P1 (we see whole caches), the
            // counts are read while their owners may be changing them (a snapshot, documented).
            foreach (BufferCache cache in Volatile.Read(ref _registry))
            {
                total += Volatile.Read(ref cache.Count);
            }

            return (int)Math.Min(total, Capacity);
        }
    }

    /// <summary>Bytes of region that <paramref name="bufferCount"/> buffers of <paramref name="bufferSize"/> bytes occupy.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or size is not positive, or a buffer would exceed 2 GiB.</exception>
    public static long GetRequiredLength(int bufferCount, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferCount);
        return (long)bufferCount * RoundBufferSize(bufferSize);
    }

    /// <summary>Creates a region just large enough and a pool over it that owns it.</summary>
    /// <param name="bufferCount">Number of buffers; positive.</param>
    /// <param name="bufferSize">Bytes per buffer including headroom; positive, rounded up to a multiple of <see cref="Alignment"/>.</param>
    /// <param name="kind">Page kind of the region.</param>
    /// <param name="headroom">Bytes reserved in front of the data of a fresh buffer; from 0 to <paramref name="bufferSize"/> - 1.</param>
    /// <param name="cacheSize">Free indices each thread may cache: 0, an even number from 2 to <paramref name="bufferCount"/>, or <see cref="AutoCacheSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, headroom or cache size is out of range.</exception>
    /// <exception cref="Interop.NativeCallException">The region could not be created.</exception>
    public static BufferPool Create(int bufferCount, int bufferSize, PageKind kind = PageKind.Auto, int headroom = DefaultHeadroom, int cacheSize = AutoCacheSize)
    {
        int checkedCache = cacheSize;
        int stride = ValidateShape(bufferCount, bufferSize, headroom, ref checkedCache);
        DmaRegion region = DmaRegion.Create((long)bufferCount * stride, kind, lockMemory: true, name: "renesens-pool");
        try
        {
            return new BufferPool(region, 0, bufferCount, bufferSize, headroom, cacheSize, ownsRegion: true);
        }
        catch
        {
            region.Dispose();
            throw;
        }
    }

    /// <summary>Rents one buffer: reference count 1, headroom <see cref="Headroom"/>, no data, clean metadata.</summary>
    /// <param name="buffer">The buffer, or null when none is free.</param>
    /// <returns>False when every buffer is in use (counted in <see cref="RentFailures"/>); the pool never grows.</returns>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRent([NotNullWhen(true)] out PacketBuffer? buffer)
    {
        if (_disposed != 0)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        int index;
        if (_caches is null)
        {
            index = _free.TryPopOne();
        }
        else
        {
            BufferCache cache = _caches.Value!;
            index = cache.Count != 0 || Refill(cache) ? cache.Items[--cache.Count] : FreeIndexStack.End;
        }

        if (index < 0)
        {
            buffer = null;
            CountFailure();
            return false;
        }

        buffer = _buffers[index];
        buffer.OnRent();
        return true;
    }

    /// <summary>Rents up to <paramref name="into"/>.Length buffers, filling it from the start.</summary>
    /// <returns>How many were rented: fewer than asked (possibly 0) when the pool runs out, which counts one failure.</returns>
    /// <exception cref="ObjectDisposedException">The pool is disposed.</exception>
    public int TryRentBurst(Span<PacketBuffer> into)
    {
        if (_disposed != 0)
        {
            MemoryThrowHelper.ThrowObjectDisposed(this);
        }

        int n = 0;
        if (_caches is null)
        {
            n = RentBurstFromSharedList(into);
        }
        else
        {
            BufferCache cache = _caches.Value!;
            PacketBuffer[] buffers = _buffers;
            while (n < into.Length && (cache.Count != 0 || Refill(cache)))
            {
                // The count in a local, written back once per run: the cache is this thread's alone.
                int count = cache.Count;
                int take = Math.Min(count, into.Length - n);
                ReadOnlySpan<int> items = cache.Items.AsSpan(count - take, take);
                for (int i = items.Length - 1; i >= 0; i--)
                {
                    PacketBuffer b = buffers[items[i]];
                    b.OnRent();
                    into[n++] = b;
                }

                cache.Count = count - take;
            }
        }

        if (n < into.Length)
        {
            CountFailure();
        }

        return n;
    }

    /// <summary>
    /// The rent path without per-thread caches: pops from the shared list in runs of 32. Kept apart so that
    /// <see cref="TryRentBurst"/> holds no stack allocation, which would keep it from tiering up with profile data.
    /// </summary>
    private int RentBurstFromSharedList(Span<PacketBuffer> into)
    {
        Span<int> scratch = stackalloc int[32];
        int n = 0;
        while (n < into.Length)
        {
            int got = _free.TryPop(scratch[..Math.Min(scratch.Length, into.Length - n)]);
            if (got == 0)
            {
                break;
            }

            for (int i = 0; i < got; i++)
            {
                PacketBuffer b = _buffers[scratch[i]];
                b.OnRent();
                into[n++] = b;
            }
        }

        return n;
    }

    /// <summary>Disposes the per-thread caches and, when <see cref="OwnsRegion"/>, the region; later calls do nothing.</summary>
    public void Dispose()
    {
        // Exactly one disposer; the rent and release paths read the flag plainly (Dispose must not race them).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The registry stays: Available and InUse keep counting what the caches held.
        _caches?.Dispose();
        if (_ownsRegion)
        {
            _region.Dispose();
        }
    }

    /// <summary>The buffer with index <paramref name="index"/> (tests and diagnostics).</summary>
    internal PacketBuffer GetBuffer(int index) => _buffers[index];

    /// <summary>
    /// Takes back a buffer whose reference count just reached zero. Only <see cref="PacketBuffer"/> calls
    /// this, once per 1-to-0 transition of the count, which is what keeps an index from being freed twice.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer belongs to another pool, or is still referenced.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Return(PacketBuffer buffer)
    {
        int index = PrepareReturn(buffer);
        if (_caches is null || _disposed != 0)
        {
            // After Dispose the caches are gone; late releases go straight to the global list so the counts stay right.
            _free.PushOne(index);
            return;
        }

        BufferCache cache = _caches.Value!;
        if (cache.Count == cache.Items.Length)
        {
            Flush(cache);
        }

        cache.Items[cache.Count++] = index;
    }

    /// <summary>
    /// The checks and reset of <see cref="Return"/> for a buffer whose count just reached zero, without giving it
    /// back yet: <see cref="ReturnBurst"/> takes the index this returns.
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer belongs to another pool, or is still referenced.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int PrepareReturn(PacketBuffer buffer)
    {
        int index = buffer.Index;
        PacketBuffer[] buffers = _buffers;
        if ((uint)index >= (uint)buffers.Length || !ReferenceEquals(buffers[index], buffer))
        {
            MemoryThrowHelper.ThrowForeignBuffer();
        }

        // Same thread as the 1-to-0 transition that led here (program order); Volatile only for a whole read.
        if (Volatile.Read(ref buffer.RefCountField) != 0)
        {
            MemoryThrowHelper.ThrowStillReferenced();
        }

        buffer.ResetForReuse();
        return index;
    }

    /// <summary>Gives back buffers prepared as <see cref="PrepareReturn"/> does: one cache look-up for the whole burst.</summary>
    internal void ReturnBurst(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            return;
        }

        if (_caches is null || _disposed != 0)
        {
            _free.Push(indices);
            return;
        }

        BufferCache cache = _caches.Value!;
        while (!indices.IsEmpty)
        {
            if (cache.Count == cache.Items.Length)
            {
                Flush(cache);
            }

            int n = Math.Min(indices.Length, cache.Items.Length - cache.Count);
            indices[..n].CopyTo(cache.Items.AsSpan(cache.Count));
            cache.Count += n;
            indices = indices[n..];
        }
    }

    /// <summary>
    /// Moves the cached buffers of threads that have exited back to the global list and forgets those caches.
    /// Runs on its own when a rent would fail and when a thread first uses the pool.
    /// </summary>
    /// <returns>How many buffers were moved.</returns>
    internal int ReclaimExitedThreadCaches()
    {
        lock (_registryLock)
        {
            return ReclaimExitedThreadCachesUnsynchronized();
        }
    }

    private static int RoundBufferSize(int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        long stride = ((long)bufferSize + Alignment - 1) / Alignment * Alignment;
        if (stride > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "A buffer must be smaller than 2 GiB.");
        }

        return (int)stride;
    }

    private static int ValidateShape(int bufferCount, int bufferSize, int headroom, ref int cacheSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferCount);
        int stride = RoundBufferSize(bufferSize);
        if (headroom < 0 || headroom >= bufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(headroom), headroom, $"The headroom must be from 0 to the buffer size ({bufferSize}) - 1.");
        }

        if (cacheSize == AutoCacheSize)
        {
            cacheSize = Math.Min(MaxAutoCacheSize, bufferCount / 8) & ~1;
            if (cacheSize < 4)
            {
                cacheSize = 0;
            }
        }
        else if (cacheSize < 0 || cacheSize == 1 || cacheSize % 2 != 0 || cacheSize > bufferCount)
        {
            throw new ArgumentOutOfRangeException(nameof(cacheSize), cacheSize, $"The cache size must be 0, an even number from 2 to the buffer count ({bufferCount}), or {AutoCacheSize}.");
        }

        return stride;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Refill(BufferCache cache)
    {
        int got = _free.TryPop(cache.Items.AsSpan(0, _burst));
        if (got == 0 && AnyExitedThreadCache() && ReclaimExitedThreadCaches() > 0)
        {
            got = _free.TryPop(cache.Items.AsSpan(0, _burst));
        }

        cache.Count = got;
        return got > 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Flush(BufferCache cache)
    {
        // Keep the most recently freed (cache-warm) half, give the older half back.
        Span<int> items = cache.Items;
        _free.Push(items[.._burst]);
        items[_burst..cache.Count].CopyTo(items);
        cache.Count -= _burst;
    }

    private BufferCache CreateCache()
    {
        var cache = new BufferCache(CacheSize, Thread.CurrentThread);
        lock (_registryLock)
        {
            ReclaimExitedThreadCachesUnsynchronized();
            Volatile.Write(ref _registry, [.. _registry, cache]); // P1, as below.
        }

        return cache;
    }

    /// <summary>Lock-free look for a cache whose thread has exited, so a pool that stays exhausted does not take the lock on every failed rent.</summary>
    private bool AnyExitedThreadCache()
    {
        foreach (BufferCache cache in Volatile.Read(ref _registry)) // Pairs with P1.
        {
            if (!cache.Owner.IsAlive)
            {
                return true;
            }
        }

        return false;
    }

    private int ReclaimExitedThreadCachesUnsynchronized()
    {
        BufferCache[] registry = _registry;
        int dead = 0;
        int moved = 0;
        foreach (BufferCache cache in registry)
        {
            if (cache.Reclaimed || cache.Owner.IsAlive)
            {
                continue;
            }

            // Join on an exited thread returns at once and orders its last cache writes before our reads.
            cache.Owner.Join();
            _free.Push(cache.Items.AsSpan(0, cache.Count));
            moved += cache.Count;
            cache.Count = 0;
            cache.Reclaimed = true;
            dead++;
        }

        if (dead > 0)
        {
            var kept = new BufferCache[registry.Length - dead];
            int k = 0;
            foreach (BufferCache cache in registry)
            {
                if (!cache.Reclaimed)
                {
                    kept[k++] = cache;
                }
            }

            // P1: publishes the new array to lock-free readers (D1); writers hold the lock.
            Volatile.Write(ref _registry, kept);
        }

        return moved;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CountFailure() => Interlocked.Increment(ref _rentFailures);
}
