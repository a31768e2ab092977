using System.Collections.Concurrent;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Memory;

public class BufferPoolTests
{
    [Fact]
    public void CreateRoundsTheBufferSizeAndAlignsEveryBuffer()
    {
        using BufferPool pool = BufferPool.Create(10, 100, PageKind.Small, headroom: 0);
        Assert.Equal(128, pool.BufferSize);
        Assert.Equal(10, pool.Capacity);
        Assert.True(pool.OwnsRegion);
        Assert.True(pool.Region.Length >= 10 * 128);
        Assert.Equal(0, pool.CacheSize);
        Assert.Equal(10 * 128, BufferPool.GetRequiredLength(10, 100));

        var buffers = new PacketBuffer[10];
        Assert.Equal(10, pool.TryRentBurst(buffers));
        var seen = new HashSet<ulong>();
        foreach (PacketBuffer b in buffers)
        {
            Assert.Equal(0UL, b.Iova % BufferPool.Alignment);
            Assert.Equal(128, b.Capacity);
            Assert.True(seen.Add(b.Iova));
        }

        foreach (PacketBuffer b in buffers)
        {
            b.Release();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(BufferPool.AutoCacheSize)]
    public void ExhaustionFailsCountsAndNeverGrows(int cacheSize)
    {
        using BufferPool pool = BufferPool.Create(32, 256, PageKind.Small, headroom: 64, cacheSize: cacheSize);
        var rented = new List<PacketBuffer>();
        while (pool.TryRent(out PacketBuffer? b))
        {
            rented.Add(b);
        }

        Assert.Equal(32, rented.Count);
        Assert.Equal(32, rented.Distinct().Count());
        Assert.Equal(1, pool.RentFailures);
        Assert.False(pool.TryRent(out PacketBuffer? none));
        Assert.Null(none);
        Assert.Equal(0, pool.TryRentBurst(new PacketBuffer[4]));
        Assert.Equal(3, pool.RentFailures);
        Assert.Equal(32, pool.Capacity);
        Assert.Equal(32, pool.InUse);
        Assert.Equal(0, pool.Available);

        rented[7].Release();
        Assert.True(pool.TryRent(out PacketBuffer? again));
        Assert.Same(rented[7], again);
        foreach (PacketBuffer b in rented)
        {
            b.Release();
        }

        Assert.Equal(0, pool.InUse);
        Assert.Equal(32, pool.Available);
    }

    [Fact]
    public void BurstRentIsPartialWhenThePoolRunsLow()
    {
        using BufferPool pool = BufferPool.Create(64, 256, PageKind.Small, headroom: 0, cacheSize: 8);
        var first = new PacketBuffer[50];
        Assert.Equal(50, pool.TryRentBurst(first));
        Assert.Equal(0, pool.RentFailures);
        var second = new PacketBuffer[20];
        Assert.Equal(14, pool.TryRentBurst(second));
        Assert.Equal(1, pool.RentFailures);
        Assert.Equal(64, first.Concat(second.Take(14)).Distinct().Count());
        Assert.Equal(64, pool.InUse);
        foreach (PacketBuffer b in first.Concat(second.Take(14)))
        {
            b.Release();
        }

        Assert.Equal(0, pool.InUse);
        Assert.Equal(64, pool.Available);
        Assert.Equal(64, pool.Peak);
    }

    [Fact]
    public void ReleasedBuffersAreReused()
    {
        using BufferPool pool = BufferPool.Create(16, 512, PageKind.Small, cacheSize: 4);
        Assert.True(pool.TryRent(out PacketBuffer? a));
        a.Release();
        Assert.True(pool.TryRent(out PacketBuffer? b));
        Assert.Same(a, b);
        b.Release();
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(pool.TryRent(out PacketBuffer? c));
            c.Release();
        }

        Assert.Equal(0, pool.InUse);
        Assert.Equal(16, pool.Available);
    }

    [Fact]
    public void InUseAndPeakCountBuffersInCallersHands()
    {
        using BufferPool pool = BufferPool.Create(64, 256, PageKind.Small, cacheSize: 0);
        var held = new PacketBuffer[5];
        Assert.Equal(5, pool.TryRentBurst(held));
        held[0].Release();
        held[1].Release();
        Assert.Equal(3, pool.InUse);
        Assert.Equal(5, pool.Peak);

        Assert.True(pool.TryRent(out PacketBuffer? extra));
        held[2].AddRef();
        held[2].Release();
        Assert.Equal(4, pool.InUse);
        Assert.Equal(5, pool.Peak);

        extra.Release();
        held[2].Release();
        held[3].Release();
        held[4].Release();
        Assert.Equal(0, pool.InUse);
        Assert.Equal(5, pool.Peak);
        Assert.Equal(64, pool.Available);
        Assert.Equal(0, pool.RentFailures);
    }

    [Fact]
    public void WithCachesInUseIsExactWhenQuietAndPeakIncludesCachedBuffers()
    {
        using BufferPool pool = BufferPool.Create(64, 256, PageKind.Small, cacheSize: 8);
        var held = new PacketBuffer[5];
        Assert.Equal(5, pool.TryRentBurst(held));
        Assert.Equal(5, pool.InUse);
        Assert.Equal(59, pool.Available);

        // Two refills of 4 left the global list: 8 buffers out, 5 of them in our hands.
        Assert.Equal(8, pool.Peak);
        foreach (PacketBuffer b in held)
        {
            b.Release();
        }

        Assert.Equal(0, pool.InUse);
        Assert.Equal(64, pool.Available);
        Assert.InRange(pool.Peak, 5, 5 + pool.CacheSize);
    }

    [Fact]
    public void DoubleReleaseIsDetectedAndCorruptsNothing()
    {
        using BufferPool pool = BufferPool.Create(8, 256, PageKind.Small, cacheSize: 0);
        Assert.True(pool.TryRent(out PacketBuffer? b));
        b.Release();
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(b.Release);
        Assert.Contains("already free", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.InUse);
        Assert.Equal(8, pool.Available);

        var all = new PacketBuffer[9];
        Assert.Equal(8, pool.TryRentBurst(all));
        Assert.Equal(8, all.Take(8).Distinct().Count());
        foreach (PacketBuffer x in all.Take(8))
        {
            x.Release();
        }
    }

    [Fact]
    public void ABufferFromAnotherPoolIsRefused()
    {
        using BufferPool a = BufferPool.Create(4, 256, PageKind.Small);
        using BufferPool b = BufferPool.Create(4, 256, PageKind.Small);
        Assert.True(b.TryRent(out PacketBuffer? foreign));
        Assert.Same(b, foreign.Pool);
        Volatile.Write(ref foreign.RefCountField, 0);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => a.Return(foreign));
        Assert.Contains("does not belong", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, a.InUse);
        Assert.Equal(4, a.Available);
        Volatile.Write(ref foreign.RefCountField, 1);
        foreign.Release();
        Assert.Equal(4, b.Available);
    }

    [Fact]
    public void AStillReferencedBufferCannotBeReturned()
    {
        using BufferPool pool = BufferPool.Create(4, 256, PageKind.Small);
        Assert.True(pool.TryRent(out PacketBuffer? b));
        Assert.Throws<InvalidOperationException>(() => pool.Return(b));
        b.Release();
    }

    [Fact]
    public void TwoPoolsNeverShareACache()
    {
        using BufferPool a = BufferPool.Create(64, 256, PageKind.Small, cacheSize: 8);
        using BufferPool b = BufferPool.Create(64, 256, PageKind.Small, cacheSize: 8);
        for (int round = 0; round < 100; round++)
        {
            Assert.True(a.TryRent(out PacketBuffer? x));
            Assert.True(b.TryRent(out PacketBuffer? y));
            Assert.Same(a, x.Pool);
            Assert.Same(b, y.Pool);
            y.Release();
            x.Release();
        }

        Assert.Equal(64, a.Available);
        Assert.Equal(64, b.Available);
        var all = new PacketBuffer[64];
        Assert.Equal(64, a.TryRentBurst(all));
        Assert.All(all, x => Assert.Same(a, x.Pool));
        foreach (PacketBuffer x in all)
        {
            x.Release();
        }
    }

    [Fact]
    public void BuffersCachedByAnExitedThreadAreReclaimed()
    {
        using BufferPool pool = BufferPool.Create(16, 256, PageKind.Small, cacheSize: 8);
        var worker = new Thread(() =>
        {
            var all = new PacketBuffer[16];
            Assert.Equal(16, pool.TryRentBurst(all));
            foreach (PacketBuffer b in all)
            {
                b.Release();
            }
        });
        worker.Start();
        worker.Join();
        Assert.True(pool.Available > 0);

        // The worker's cache holds some of the 16; this thread can still rent every one.
        var mine = new PacketBuffer[16];
        for (int i = 0; i < 16; i++)
        {
            Assert.True(pool.TryRent(out PacketBuffer? b), $"rent {i}");
            mine[i] = b;
        }

        Assert.Equal(0, pool.RentFailures);
        Assert.Equal(16, mine.Distinct().Count());
        foreach (PacketBuffer b in mine)
        {
            b.Release();
        }

        Assert.Equal(16, pool.Available);
    }

    [Fact]
    public void ReclaimMovesOnlyCachesOfExitedThreads()
    {
        using BufferPool pool = BufferPool.Create(32, 256, PageKind.Small, cacheSize: 8);
        Assert.True(pool.TryRent(out PacketBuffer? mine));
        mine.Release();
        var worker = new Thread(() =>
        {
            Assert.True(pool.TryRent(out PacketBuffer? b));
            b.Release();
        });
        worker.Start();
        worker.Join();
        Assert.Equal(4, pool.ReclaimExitedThreadCaches());
        Assert.Equal(0, pool.ReclaimExitedThreadCaches());
        Assert.Equal(32, pool.Available);
    }

    [Fact]
    public void ADisposedPoolIsNotKeptAliveByThePerThreadCaches()
    {
        WeakReference pool = UseAndDispose();
        for (int i = 0; i < 5 && pool.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(pool.IsAlive);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static WeakReference UseAndDispose()
        {
            var region = DmaRegion.Create(64 * 256, PageKind.Small);
            var pool = new BufferPool(region, 0, 64, 256, cacheSize: 8);
            Assert.True(pool.TryRent(out PacketBuffer? b));
            b.Release();
            pool.Dispose();
            region.Dispose();
            return new WeakReference(pool);
        }
    }

    [Fact]
    public void AnExhaustedPoolKeepsFailingCheaplyAndRecoversOnRelease()
    {
        using BufferPool pool = BufferPool.Create(16, 256, PageKind.Small, cacheSize: 4);
        var all = new PacketBuffer[16];
        Assert.Equal(16, pool.TryRentBurst(all));
        for (int i = 0; i < 1000; i++)
        {
            Assert.False(pool.TryRent(out _));
        }

        Assert.Equal(1000, pool.RentFailures);
        Assert.Equal(16, pool.Peak);
        all[3].Release();
        Assert.True(pool.TryRent(out PacketBuffer? back));
        Assert.Same(all[3], back);
        foreach (PacketBuffer b in all)
        {
            b.Release();
        }

        Assert.Equal(16, pool.Available);
    }

    [Fact]
    public void RentAndReleaseAllocateNothingInSteadyState()
    {
        foreach (int cacheSize in new[] { 0, 16 })
        {
            using BufferPool pool = BufferPool.Create(256, 2048, PageKind.Small, cacheSize: cacheSize);
            var burst = new PacketBuffer[32];
            RentReleaseLoop(pool, burst, 10);
            long before = GC.GetAllocatedBytesForCurrentThread();
            RentReleaseLoop(pool, burst, 10_000);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Equal(0, pool.InUse);
        }

        static void RentReleaseLoop(BufferPool pool, PacketBuffer[] burst, int rounds)
        {
            Span<byte> copy = stackalloc byte[128];
            for (int i = 0; i < rounds; i++)
            {
                if (!pool.TryRent(out PacketBuffer? one))
                {
                    throw new InvalidOperationException("pool empty");
                }

                one.Append(64)[0] = 1;
                one.Prepend(14);
                one.SetChecksumPartial(34, 16);
                one.AddRef();
                one.Release();
                one.Release();
                int n = pool.TryRentBurst(burst);
                burst[1].Append(100);
                burst[0].Chain(burst[1]);
                burst[0].CopyTo(copy);
                int segments = 0;
                foreach (PacketBuffer segment in burst[0].Segments)
                {
                    segments += segment.DataMemory.Length > 0 && segment.Iova != 0 ? 1 : 0;
                }

                if (segments != 1)
                {
                    throw new InvalidOperationException("segments");
                }

                burst[0].Release();
                for (int k = 2; k < n; k++)
                {
                    burst[k].Release();
                }
            }
        }
    }

    [Theory]
    [InlineData(0, 2048, 128, -1)]
    [InlineData(-1, 2048, 128, -1)]
    [InlineData(16, 0, 0, -1)]
    [InlineData(16, -64, 0, -1)]
    [InlineData(16, 2048, 2048, -1)]
    [InlineData(16, 2048, 4096, -1)]
    [InlineData(16, 2048, -1, -1)]
    [InlineData(16, 2048, 128, 3)]
    [InlineData(16, 2048, 128, 1)]
    [InlineData(16, 2048, 128, 32)]
    [InlineData(16, 2048, 128, -2)]
    [InlineData(16, int.MaxValue, 128, 0)]
    public void BadShapesAreRefused(int count, int size, int headroom, int cacheSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BufferPool.Create(count, size, PageKind.Small, headroom, cacheSize));
        using DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BufferPool(region, 0, count, size, headroom, cacheSize));
    }

    [Fact]
    public void ARegionTooSmallOrABadOffsetIsRefused()
    {
        using DmaRegion region = DmaRegion.Create(8192, PageKind.Small);
        ArgumentException small = Assert.Throws<ArgumentException>(() => new BufferPool(region, 0, 5, 2048));
        Assert.Equal("region", small.ParamName);
        Assert.Throws<ArgumentException>(() => new BufferPool(region, 64, 4, 2048));
        Assert.Throws<ArgumentException>(() => new BufferPool(region, 16384, 1, 64, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BufferPool(region, 32, 1, 64, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BufferPool(region, -64, 1, 64, 0));
        Assert.Throws<ArgumentNullException>(() => new BufferPool(null!, 0, 1, 64, 0));

        using var fits = new BufferPool(region, 4096, 2, 2048);
        Assert.Equal(4096, fits.RegionOffset);
        Assert.True(fits.TryRent(out PacketBuffer? b));
        Assert.Equal(region.Iova + 4096 + BufferPool.DefaultHeadroom + (ulong)(b.Index * 2048), b.Iova);
        b.Release();
    }

    [Fact]
    public void APoolOverACallersRegionLeavesItAlive()
    {
        using DmaRegion region = DmaRegion.Create(8192, PageKind.Small);
        var pool = new BufferPool(region, 0, 4, 2048);
        Assert.False(pool.OwnsRegion);
        pool.Dispose();
        pool.Dispose();
        region.GetSpan(0, 16).Fill(1);
        Assert.Throws<ObjectDisposedException>(() => pool.TryRent(out _));
    }

    [Fact]
    public void DisposingAnOwningPoolDisposesItsRegionAndLateReleasesAreHarmless()
    {
        BufferPool pool = BufferPool.Create(64, 2048, PageKind.Small, cacheSize: 8);
        Assert.True(pool.TryRent(out PacketBuffer? b));
        b.Append(10);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Region.GetSpan(0, 1).Length);
        Assert.Throws<ObjectDisposedException>(() => b.Data.Length);
        Assert.Throws<ObjectDisposedException>(() => pool.TryRentBurst(new PacketBuffer[1]));
        b.Release();
        Assert.Equal(0, pool.InUse);
        Assert.Throws<InvalidOperationException>(b.Release);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(4, 16)]
    public void ConcurrentRentAndReleaseNeverHandOneBufferToTwoOwners(int threads, int cacheSize)
    {
        const int Capacity = 128;
        const int OperationsPerThread = 100_000;
        using BufferPool pool = BufferPool.Create(Capacity, 256, PageKind.Small, headroom: 0, cacheSize: cacheSize);
        var owner = new int[Capacity];
        var handoff = new ConcurrentQueue<PacketBuffer>();
        var errors = new ConcurrentQueue<string>();
        using var start = new Barrier(threads);

        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t + 1;
            workers[t] = new Thread(() => Work(id));
            workers[t].Start();
        }

        foreach (Thread w in workers)
        {
            w.Join();
        }

        while (handoff.TryDequeue(out PacketBuffer? left))
        {
            Check(left, -1);
            left.Release();
        }

        Assert.Empty(errors);
        Assert.Equal(0, pool.InUse);
        Assert.InRange(pool.Peak, 1, Capacity);
        var all = new PacketBuffer[Capacity];
        Assert.Equal(Capacity, pool.TryRentBurst(all));
        Assert.Equal(Capacity, all.Distinct().Count());
        foreach (PacketBuffer b in all)
        {
            b.Release();
        }

        void Work(int id)
        {
            var rng = new Random(id);
            var held = new PacketBuffer[8];
            start.SignalAndWait();
            int ops = 0;
            while (ops < OperationsPerThread && errors.IsEmpty)
            {
                int n = rng.Next(0, 2) == 0 ? (pool.TryRent(out PacketBuffer? one) ? Store(held, one) : 0) : pool.TryRentBurst(held.AsSpan(0, rng.Next(1, 9)));
                for (int i = 0; i < n; i++)
                {
                    PacketBuffer b = held[i];
                    if (Interlocked.CompareExchange(ref owner[b.Index], id, 0) != 0)
                    {
                        errors.Enqueue($"buffer {b.Index} handed to {id} while owned by {owner[b.Index]}");
                        return;
                    }

                    if (b.ReferenceCount != 1 || b.DataLength != 0 || b.Next is not null)
                    {
                        errors.Enqueue($"buffer {b.Index} rented dirty");
                        return;
                    }

                    BitConverter.TryWriteBytes(b.Append(8), ((long)id << 32) | (uint)ops);
                }

                for (int i = 0; i < n; i++)
                {
                    PacketBuffer b = held[i];
                    if (BitConverter.ToInt64(b.Data) != (((long)id << 32) | (uint)ops))
                    {
                        errors.Enqueue($"buffer {b.Index} overwritten while owned by {id}");
                        return;
                    }

                    if (i == 0 && (ops & 7) == 0)
                    {
                        // Hand it to whichever thread dequeues it: a release on another thread.
                        b.Data.Clear();
                        handoff.Enqueue(b);
                        continue;
                    }

                    Volatile.Write(ref owner[b.Index], 0);
                    b.Release();
                }

                if (handoff.TryDequeue(out PacketBuffer? other))
                {
                    Check(other, id);
                    other.Release();
                }

                ops += Math.Max(n, 1);
            }
        }

        void Check(PacketBuffer b, int id)
        {
            if (BitConverter.ToInt64(b.Data) != 0)
            {
                errors.Enqueue($"handed-off buffer {b.Index} overwritten (seen by {id})");
            }

            Volatile.Write(ref owner[b.Index], 0);
        }

        static int Store(PacketBuffer[] held, PacketBuffer one)
        {
            held[0] = one;
            return 1;
        }
    }
}
