using System.Net.Sockets;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// Calls on a connected stream socket that <see cref="Socket"/> has no form for: one gathering
/// <c>sendmsg</c> over native and pinned memory, and a receive into native memory that never
/// blocks. Failures are <see cref="SocketException"/>s, as the socket's own calls throw.
/// </summary>
internal static unsafe class StreamSocketIo
{
    private const int EPIPE = 32;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int ESHUTDOWN = 108;
    private const int ETIMEDOUT = 110;

    /// <summary>One <c>sendmsg</c> of <paramref name="count"/> elements; returns the bytes the kernel took (it has copied them).</summary>
    /// <exception cref="SocketException">The connection failed or was shut down.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    internal static long SendGather(Socket socket, IoVector* iov, int count)
    {
        using var lease = new SafeHandleLease(socket.SafeHandle);
        long n = NativeMethods.SocketSendGather((int)lease.Value, iov, count);
        if (n < 0)
        {
            ThrowSocketError((int)-n);
        }

        return n;
    }

    /// <summary>
    /// Sends every byte of the <paramref name="count"/> elements of <paramref name="iov"/> on a blocking socket,
    /// resuming after partial writes (the elements are advanced past what was taken, so the caller's vector is spent).
    /// </summary>
    /// <exception cref="SocketException">The connection failed or was shut down.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    internal static void SendAllGather(Socket socket, IoVector* iov, int count)
    {
        int first = 0;
        while (first < count && iov[first].Length == 0)
        {
            first++;
        }

        while (first < count)
        {
            long sent = SendGather(socket, iov + first, count - first);
            if (sent == 0)
            {
                // A blocking stream socket takes at least one byte or fails; nothing taken means it is shut down.
                throw new SocketException((int)SocketError.Shutdown);
            }

            while (first < count && (sent > 0 || iov[first].Length == 0))
            {
                long taken = Math.Min(sent, (long)iov[first].Length);
                iov[first].Base += taken;
                iov[first].Length -= (ulong)taken;
                sent -= taken;
                if (iov[first].Length == 0)
                {
                    first++;
                }
            }
        }
    }

    /// <summary>
    /// Receives what is waiting, at most <paramref name="destination"/>'s length, without blocking: the bytes received,
    /// 0 at the end of the stream, -1 when none are waiting.
    /// </summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    internal static int TryReceive(Socket socket, Span<byte> destination)
    {
        using var lease = new SafeHandleLease(socket.SafeHandle);

        // fixed: the span may be managed; the kernel writes it only during the call.
        fixed (byte* p = destination)
        {
            long n = NativeMethods.SocketReceiveNoWait((int)lease.Value, p, (ulong)destination.Length);
            if (n == -NativeError.EAGAIN)
            {
                return -1;
            }

            if (n < 0)
            {
                ThrowSocketError((int)-n);
            }

            return (int)n;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowSocketError(int errno) => throw new SocketException((int)(errno switch
    {
        EPIPE or ESHUTDOWN => SocketError.Shutdown,
        ECONNRESET => SocketError.ConnectionReset,
        ENOTCONN => SocketError.NotConnected,
        ETIMEDOUT => SocketError.TimedOut,
        NativeError.EBADF => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    }));
}
