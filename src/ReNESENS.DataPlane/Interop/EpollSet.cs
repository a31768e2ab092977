namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// An epoll instance used as one stable descriptor over a changing set of others: it is readable (poll(2)) while any
/// member is readable. A vhost-user port hands it to forwarders as its receive descriptor, and puts each connection's
/// kick eventfd in and out of it.
/// </summary>
internal sealed class EpollSet : IDisposable
{
    private EpollSet(SafeFdHandle handle) => Handle = handle;

    /// <summary>The epoll descriptor.</summary>
    public SafeFdHandle Handle { get; }

    /// <summary>Creates an empty set.</summary>
    /// <exception cref="NativeCallException">epoll_create1 failed.</exception>
    public static EpollSet Create()
    {
        NativeError.Check(NativeMethods.EpollCreate(out int fd), "rn_epoll_create");
        return new EpollSet(new SafeFdHandle(fd, ownsHandle: true));
    }

    /// <summary>Adds <paramref name="member"/> (watched for readability).</summary>
    /// <exception cref="NativeCallException">It is already in the set, or not pollable.</exception>
    public void Add(SafeFdHandle member)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        NativeError.Check(NativeMethods.EpollControl(Handle.Fd, NativeMethods.EpollAdd, member.Fd), "rn_epoll_ctl");
    }

    /// <summary>
    /// Removes <paramref name="member"/>. Must come before the member is closed: epoll drops a descriptor by itself only
    /// when every duplicate of its file is closed, and a frontend keeps its own.
    /// </summary>
    /// <exception cref="NativeCallException">It is not in the set.</exception>
    public void Remove(SafeFdHandle member)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        NativeError.Check(NativeMethods.EpollControl(Handle.Fd, NativeMethods.EpollDelete, member.Fd), "rn_epoll_ctl");
    }

    /// <summary>Closes the epoll descriptor.</summary>
    public void Dispose() => Handle.Dispose();
}
