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
}
