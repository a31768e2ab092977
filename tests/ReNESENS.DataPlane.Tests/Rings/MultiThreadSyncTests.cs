using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Tests.Rings;

public class MultiThreadSyncTests
{
    [Fact]
    public void PublishWaitsForEarlierReservationsOnTheSameSide()
    {
        // [0] producer, [1] consumer; an array so another thread can take a ref to them.
        var sides = new RingHeadTail[2];
        Assert.Equal(2u, MultiThreadSync.Reserve(ref sides[0], ref sides[1], 8, 2, bulk: false, out ulong first));
        Assert.Equal(3u, MultiThreadSync.Reserve(ref sides[0], ref sides[1], 8, 3, bulk: false, out ulong second));
        Assert.Equal((0ul, 2ul, 5ul), (first, second, sides[0].Head));

        var later = new Thread(() => MultiThreadSync.Publish(ref sides[0], second, 3)) { IsBackground = true };
        later.Start();
        Assert.False(later.Join(200));
        Assert.Equal(0ul, Volatile.Read(ref sides[0].Tail));

        MultiThreadSync.Publish(ref sides[0], first, 2);
        Assert.True(later.Join(5_000));
        Assert.Equal(5ul, sides[0].Tail);
    }

    [Fact]
    public void ReserveGrantsOnlyWhatTheOppositeSideReleased()
    {
        var sides = new RingHeadTail[2];
        Assert.Equal(0u, MultiThreadSync.Reserve(ref sides[1], ref sides[0], 0, 4, bulk: false, out _));
        Assert.Equal(4u, MultiThreadSync.Reserve(ref sides[0], ref sides[1], 4, 6, bulk: false, out _));
        Assert.Equal(0u, MultiThreadSync.Reserve(ref sides[0], ref sides[1], 4, 1, bulk: false, out _));
        MultiThreadSync.Publish(ref sides[0], 0, 4);
        Assert.Equal(0u, MultiThreadSync.Reserve(ref sides[1], ref sides[0], 0, 5, bulk: true, out _));
        Assert.Equal(3u, MultiThreadSync.Reserve(ref sides[1], ref sides[0], 0, 3, bulk: true, out ulong head));
        Assert.Equal(0ul, head);
    }

    [Fact]
    public void AStaleOppositeTailCacheIsRefreshedNeverTrusted()
    {
        // Producer at 10 with a cache that another thread of its side left far behind (0); the
        // consumer has released up to 8, so with capacity 4 exactly 2 slots are free.
        var sides = new RingHeadTail[2];
        sides[0].Head = sides[0].Tail = 10;
        sides[0].OppositeTailCache = 0;
        sides[1].Head = sides[1].Tail = 8;
        Assert.Equal(0u, MultiThreadSync.Reserve(ref sides[0], ref sides[1], 4, 3, bulk: true, out _));
        Assert.Equal(8ul, sides[0].OppositeTailCache);
        sides[0].OppositeTailCache = 0;
        Assert.Equal(2u, MultiThreadSync.Reserve(ref sides[0], ref sides[1], 4, 3, bulk: false, out ulong head));
        Assert.Equal((10ul, 12ul), (head, sides[0].Head));
    }
}
