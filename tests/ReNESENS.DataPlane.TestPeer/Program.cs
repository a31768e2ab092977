using System.Net.Sockets;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.TestPeer;

/// <summary>
/// <c>bytering SOCKET COUNT</c>: connects to the unix socket, receives a memory file with the
/// offsets of two rings, then echoes COUNT records from the first ring into the second.
/// Exits 0 when done, 2 on a timeout, 3 on bad arguments.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length != 3 || args[0] != "bytering" || !int.TryParse(args[2], out int count))
        {
            Console.Error.WriteLine("usage: bytering SOCKET COUNT");
            return 3;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(args[1]));
        var message = new byte[24];
        var fds = new SafeFdHandle?[1];
        int received = UnixSocketFds.Receive(socket.SafeHandle, message, fds, out int fdCount);
        if (received != message.Length || fdCount != 1)
        {
            Console.Error.WriteLine($"expected 24 bytes and one descriptor, got {received} and {fdCount}");
            return 3;
        }

        long length = BitConverter.ToInt64(message, 0);
        long inOffset = BitConverter.ToInt64(message, 8);
        long outOffset = BitConverter.ToInt64(message, 16);
        using SafeFdHandle fd = fds[0]!;
        using DmaRegion region = DmaRegion.Map(fd, 0, length);
        ByteRing input = ByteRing.Attach(region, inOffset);
        ByteRing output = ByteRing.Attach(region, outOffset);

        long deadline = Environment.TickCount64 + 60_000;
        var spin = new SpinWait();
        for (int echoed = 0; echoed < count;)
        {
            if (Environment.TickCount64 > deadline)
            {
                Console.Error.WriteLine($"timed out after {echoed} records");
                return 2;
            }

            if (!input.TryRead(out ReadOnlySpan<byte> record))
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            Span<byte> copy;
            while (!output.TryReserve(record.Length, out copy))
            {
                spin.SpinOnce(sleep1Threshold: -1);
                if (Environment.TickCount64 > deadline)
                {
                    return 2;
                }
            }

            record.CopyTo(copy);
            output.Commit(record.Length);
            input.Release();
            echoed++;
        }

        socket.Send("done"u8);
        return 0;
    }
}
