using System.Net.Sockets;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// Calls on a connected stream socket that <see cref="Socket"/> has no form for: one gathering
/// <c>sendmsg</c> over native and pinned memory, and a receive into native memory that never
/// blocks. Failures are <see cref="SocketException"/>s, as the socket's own calls throw.
/// </summary>
internal static unsafe class StreamSocketIo
{
    /// <summary>Most gather elements in one <see cref="SendGather"/> (the kernel's IOV_MAX is 1024).</summary>
    internal const int MaxVectors = 1024;

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
