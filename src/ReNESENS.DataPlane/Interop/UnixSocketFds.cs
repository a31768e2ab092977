using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// Sends and receives file descriptors with a message over a unix stream socket (SCM_RIGHTS),
/// as vhost-user and the cross-process rings do.
/// </summary>
internal static unsafe class UnixSocketFds
{
    /// <summary>Creates a connected pair of unix stream sockets.</summary>
    internal static (SafeFdHandle First, SafeFdHandle Second) CreatePair()
    {
        int* fds = stackalloc int[2];
        NativeError.Check(NativeMethods.SocketPair(fds), "rn_socketpair");
        return (new SafeFdHandle(fds[0], ownsHandle: true), new SafeFdHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Sends <paramref name="data"/> with <paramref name="fds"/> in one message; returns bytes sent.</summary>
    internal static int Send(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<SafeFdHandle> fds)
    {
        if (fds.Length > NativeMethods.MaxFds)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Length, $"At most {NativeMethods.MaxFds} descriptors go in one message.");
        }

        int* numbers = stackalloc int[NativeMethods.MaxFds];
        for (int i = 0; i < fds.Length; i++)
        {
            numbers[i] = fds[i].Fd;
        }

        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            fixed (byte* p = data)
            {
                return (int)NativeError.Check(
                    NativeMethods.UnixSend((int)socket.DangerousGetHandle(), p, (ulong)data.Length, numbers, fds.Length),
                    "rn_unix_send");
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Receives one message into <paramref name="buffer"/> with up to <paramref name="fds"/>.Length
    /// descriptors, each returned as an owning handle. Returns the bytes received (0 at end of stream).
    /// A message with more descriptors than asked for is refused with EMSGSIZE and its descriptors closed.
    /// </summary>
    internal static int Receive(SafeHandle socket, Span<byte> buffer, Span<SafeFdHandle?> fds, out int fdCount)
    {
        int max = Math.Min(fds.Length, NativeMethods.MaxFds);
        int* numbers = stackalloc int[NativeMethods.MaxFds];
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            fixed (byte* p = buffer)
            {
                int received = (int)NativeError.Check(
                    NativeMethods.UnixReceive((int)socket.DangerousGetHandle(), p, (ulong)buffer.Length, numbers, max, out fdCount),
                    "rn_unix_recv");
                for (int i = 0; i < fdCount; i++)
                {
                    fds[i] = new SafeFdHandle(numbers[i], ownsHandle: true);
                }

                return received;
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }
}
