using System.Buffers.Binary;
using System.Net.Sockets;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Tests.Virtio;

/// <summary>A vhost-user frontend written in the test: it sends whatever it is told to, well formed or not.</summary>
internal sealed class FakeFrontend : IDisposable
{
    public FakeFrontend(string path)
    {
        Socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Socket.Connect(new UnixDomainSocketEndPoint(path));
        Socket.ReceiveTimeout = 5000;
    }

    public Socket Socket { get; }

    public void SendRaw(ReadOnlySpan<byte> bytes, params SafeFdHandle[] fds) => UnixSocketFds.Send(Socket.SafeHandle, bytes, fds);

    public void Send(uint request, ReadOnlySpan<byte> payload, uint flags = 1, params SafeFdHandle[] fds)
    {
        byte[] message = new byte[12 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, request);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), (uint)payload.Length);
        payload.CopyTo(message.AsSpan(12));
        SendRaw(message, fds);
    }

    public void SendU64(uint request, ulong value, params SafeFdHandle[] fds)
    {
        Span<byte> p = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(p, value);
        Send(request, p, 1, fds);
    }

    public void SendState(uint request, uint index, uint number)
    {
        Span<byte> p = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(p, index);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], number);
        Send(request, p);
    }

    public void SendAddresses(uint index, ulong desc, ulong used, ulong avail)
    {
        Span<byte> p = stackalloc byte[40];
        p.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(p, index);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], desc);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], used);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], avail);
        Send(9, p);
    }

    public void SendMemoryTable(ulong guest, ulong size, ulong user, ulong offset, SafeFdHandle fd)
    {
        Span<byte> p = stackalloc byte[40];
        p.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(p, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], guest);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], user);
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], offset);
        Send(5, p, 1, fd);
    }

    /// <summary>Asks GET_FEATURES and returns the reply's value: every message sent before is handled by then.</summary>
    public ulong GetFeatures()
    {
        Send(1, ReadOnlySpan<byte>.Empty);
        return ReadReplyU64(1);
    }

    public ulong ReadReplyU64(uint request)
    {
        byte[] reply = new byte[20];
        int got = 0;
        while (got < reply.Length)
        {
            int n = Socket.Receive(reply, got, reply.Length - got, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("the backend closed the connection");
            }

            got += n;
        }

        Assert.Equal(request, BinaryPrimitives.ReadUInt32LittleEndian(reply));
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(4))); // version 1 | reply
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(8)));
        return BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(12));
    }

    /// <summary>True when the backend closed the connection (end of stream) within the receive timeout.</summary>
    public bool WasClosedByBackend()
    {
        byte[] b = new byte[64];
        try
        {
            return Socket.Receive(b) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public void Dispose() => Socket.Dispose();
}
