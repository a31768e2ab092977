namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// A Linux eventfd: a 64-bit counter that one side adds to (a kick or a call) and the other
/// reads and resets, pollable with epoll. Used for event mode beside polling mode.
/// </summary>
public sealed class EventFd : IDisposable
{
    private EventFd(SafeFdHandle handle) => Handle = handle;

    /// <summary>The descriptor, to pass to another process or to epoll.</summary>
    public SafeFdHandle Handle { get; }

    /// <summary>Creates an eventfd.</summary>
    /// <param name="initialValue">Starting counter value.</param>
    /// <param name="nonBlocking">Reads return false instead of blocking when the counter is zero.</param>
    /// <param name="semaphore">Each read takes 1 instead of the whole count.</param>
    public static EventFd Create(uint initialValue = 0, bool nonBlocking = true, bool semaphore = false)
    {
        int flags = (nonBlocking ? NativeMethods.EventFdNonBlock : 0) | (semaphore ? NativeMethods.EventFdSemaphore : 0);
        NativeError.Check(NativeMethods.EventFdCreate(initialValue, flags, out int fd), "rn_eventfd_create");
        return new EventFd(new SafeFdHandle(fd, ownsHandle: true));
    }

    /// <summary>Wraps an eventfd received from another process; the new object owns <paramref name="handle"/>.</summary>
    public static EventFd FromHandle(SafeFdHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new EventFd(handle);
    }

    /// <summary>Adds <paramref name="value"/> to the counter and wakes a waiter.</summary>
    public void Signal(ulong value = 1)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        NativeError.Check(NativeMethods.EventFdWrite(Handle.Fd, value), "rn_eventfd_write");
    }

    /// <summary>Reads and resets the counter. Returns false when it is zero on a non-blocking eventfd.</summary>
    public bool TryRead(out ulong value)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        int rc = NativeMethods.EventFdRead(Handle.Fd, out value);
        if (rc == -NativeError.EAGAIN)
        {
            value = 0;
            return false;
        }

        NativeError.Check(rc, "rn_eventfd_read");
        return true;
    }

    /// <summary>
    /// Reads and resets the counter if it is not zero, without blocking whatever the descriptor's flags (an eventfd
    /// received from a frontend keeps the flags its owner gave it). Returns false when the counter is zero.
    /// </summary>
    internal bool TryReadReady(out ulong value)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        int rc = NativeMethods.EventFdTryRead(Handle.Fd, out value);
        if (rc == -NativeError.EAGAIN)
        {
            value = 0;
            return false;
        }

        NativeError.Check(rc, "rn_eventfd_try_read");
        return true;
    }

    /// <summary>Closes the descriptor.</summary>
    public void Dispose() => Handle.Dispose();
}
