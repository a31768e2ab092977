using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Interop;

public class EventFdTests
{
    [Fact]
    public void SignalsAddUpAndAReadResets()
    {
        using EventFd e = EventFd.Create();
        Assert.False(e.TryRead(out _));
        e.Signal();
        e.Signal(41);
        Assert.True(e.TryRead(out ulong value));
        Assert.Equal(42UL, value);
        Assert.False(e.TryRead(out _));
    }

    [Fact]
    public void SemaphoreModeTakesOneAtATime()
    {
        using EventFd e = EventFd.Create(initialValue: 2, semaphore: true);
        Assert.True(e.TryRead(out ulong a));
        Assert.True(e.TryRead(out ulong b));
        Assert.False(e.TryRead(out _));
        Assert.Equal(1UL, a);
        Assert.Equal(1UL, b);
    }

    [Fact]
    public void OverflowingTheCounterIsRefused()
    {
        using EventFd e = EventFd.Create();

        // The counter saturates at 2^64-2; writing 2^64-1 itself is EINVAL.
        NativeCallException ex = Assert.Throws<NativeCallException>(() => e.Signal(ulong.MaxValue));
        Assert.Equal(22, ex.Errno);
    }

    [Fact]
    public void UseAfterDisposeThrows()
    {
        EventFd e = EventFd.Create();
        e.Dispose();
        e.Dispose();
        Assert.Throws<ObjectDisposedException>(() => e.Signal());
    }
}
