using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// A hand-made host for bad-input tests: every PDU is laid out here byte by byte from the
/// transport specification's tables (not with the library's writer), so the target is checked
/// against the spec rather than against our own encoder.
/// </summary>
internal sealed class RawNvmeHost : IDisposable
{
    private readonly Socket _socket;

    private RawNvmeHost(Socket socket)
    {
        _socket = socket;
    }

    public bool HeaderDigest { get; private set; }

    public bool DataDigest { get; private set; }

    public static async Task<RawNvmeHost> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new RawNvmeHost(socket);
    }

    public void Send(ReadOnlySpan<byte> bytes) => _socket.Send(bytes);

    /// <summary>ICReq then ICResp; returns the ICResp.</summary>
    public async Task<byte[]> InitializeAsync(bool headerDigest = false, bool dataDigest = false)
    {
        byte[] icreq = new byte[128];
        icreq[0] = 0x00;
        icreq[2] = 128;
        BinaryPrimitives.WriteUInt32LittleEndian(icreq.AsSpan(4), 128);
        icreq[11] = (byte)((headerDigest ? 1 : 0) | (dataDigest ? 2 : 0));
        Send(icreq);
        byte[] icresp = await ReceivePduAsync();
        Assert.Equal(0x01, icresp[0]);
        Assert.Equal(128, icresp.Length);
        HeaderDigest = headerDigest;
        DataDigest = dataDigest;
        return icresp;
    }

    /// <summary>A 64-byte Connect SQE; <paramref name="inCapsule"/> picks SGL 01h (in-capsule) or 5Ah (transport, via R2T).</summary>
    public static byte[] ConnectSqe(ushort cid, ushort qid, bool inCapsule, uint kato = 0, ushort sqsize = 31)
    {
        byte[] sqe = new byte[64];
        sqe[0] = 0x7F;
        BinaryPrimitives.WriteUInt16LittleEndian(sqe.AsSpan(2), cid);
        sqe[4] = 0x01;
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(32), 1024);
        sqe[39] = inCapsule ? (byte)0x01 : (byte)0x5A;
        BinaryPrimitives.WriteUInt16LittleEndian(sqe.AsSpan(42), qid);
        BinaryPrimitives.WriteUInt16LittleEndian(sqe.AsSpan(44), sqsize);
        BinaryPrimitives.WriteUInt32LittleEndian(sqe.AsSpan(48), kato);
        return sqe;
    }

    public static byte[] ConnectData(string subsystemNqn = NvmeTestTarget.Nqn, string hostNqn = NvmeTestTarget.HostNqn, ushort controllerId = 0xFFFF)
    {
        byte[] data = new byte[1024];
        data[0] = 0x11;
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(16), controllerId);
        Encoding.ASCII.GetBytes(subsystemNqn, data.AsSpan(256));
        Encoding.ASCII.GetBytes(hostNqn, data.AsSpan(512));
        return data;
    }

    /// <summary>A CapsuleCmd PDU: header (type 04h, HLEN 72), optional header digest, in-capsule data at PDO, optional data digest.</summary>
    public byte[] Capsule(byte[] sqe, byte[]? data = null)
    {
        int hd = HeaderDigest ? 4 : 0;
        int dataLength = data?.Length ?? 0;
        int pdo = dataLength > 0 ? 72 + hd : 0;
        int dd = dataLength > 0 && DataDigest ? 4 : 0;
        int plen = dataLength > 0 ? pdo + dataLength + dd : 72 + hd;
        byte[] pdu = new byte[plen];
        pdu[0] = 0x04;
        pdu[1] = (byte)((hd != 0 ? 1 : 0) | (dd != 0 ? 2 : 0));
        pdu[2] = 72;
        pdu[3] = (byte)pdo;
        BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(4), (uint)plen);
        sqe.CopyTo(pdu, 8);
        if (hd != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(72), Crc32C.Compute(pdu.AsSpan(0, 72)));
        }

        if (dataLength > 0)
        {
            data!.CopyTo(pdu, pdo);
            if (dd != 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(pdo + dataLength), Crc32C.Compute(data));
            }
        }

        return pdu;
    }

    /// <summary>An H2CData PDU (type 06h, HLEN 24): CCCID at 8, TTAG at 10, DATAO at 12, DATAL at 16.</summary>
    public byte[] H2CData(ushort cccid, ushort ttag, uint offset, byte[] data, bool last, bool corruptDigest = false)
    {
        int hd = HeaderDigest ? 4 : 0;
        int dd = DataDigest ? 4 : 0;
        int pdo = 24 + hd;
        int plen = pdo + data.Length + dd;
        byte[] pdu = new byte[plen];
        pdu[0] = 0x06;
        pdu[1] = (byte)((hd != 0 ? 1 : 0) | (dd != 0 ? 2 : 0) | (last ? 4 : 0));
        pdu[2] = 24;
        pdu[3] = (byte)pdo;
        BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(4), (uint)plen);
        BinaryPrimitives.WriteUInt16LittleEndian(pdu.AsSpan(8), cccid);
        BinaryPrimitives.WriteUInt16LittleEndian(pdu.AsSpan(10), ttag);
        BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(12), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(16), (uint)data.Length);
        if (hd != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(24), Crc32C.Compute(pdu.AsSpan(0, 24)));
        }

        data.CopyTo(pdu, pdo);
        if (dd != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(pdo + data.Length), Crc32C.Compute(data) ^ (corruptDigest ? 1u : 0u));
        }

        return pdu;
    }

    /// <summary>Reads one whole PDU (by its PLEN).</summary>
    public Task<byte[]> ReceivePduAsync(int timeoutMs = 5000) => ReceivePduAsync(_socket, "the target", timeoutMs);

    /// <summary>Reads one whole PDU (by its PLEN) from <paramref name="socket"/>, whose far end is <paramref name="peer"/> (for the error when it closes).</summary>
    public static async Task<byte[]> ReceivePduAsync(Socket socket, string peer, int timeoutMs = 5000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        byte[] header = new byte[8];
        await ReceiveExactlyAsync(socket, peer, header, cts.Token);
        int plen = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        Assert.InRange(plen, 8, 1 << 20);
        byte[] pdu = new byte[plen];
        header.CopyTo(pdu, 0);
        await ReceiveExactlyAsync(socket, peer, pdu.AsMemory(8), cts.Token);
        return pdu;
    }

    /// <summary>Reads a CapsuleResp; returns (status field, DW0).</summary>
    public async Task<(ushort Status, uint Dword0, ushort Cid)> ReceiveResponseAsync()
    {
        byte[] pdu = await ReceivePduAsync();
        Assert.Equal(0x05, pdu[0]);
        return ((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(pdu.AsSpan(8 + 14)) >> 1), BinaryPrimitives.ReadUInt32LittleEndian(pdu.AsSpan(8)), BinaryPrimitives.ReadUInt16LittleEndian(pdu.AsSpan(8 + 12)));
    }

    /// <summary>Expects a C2HTermReq with the given FES and FEI, then the target closing the connection.</summary>
    public async Task ExpectTermReqAndCloseAsync(int fes, uint fei)
    {
        byte[] pdu = await ReceivePduAsync();
        Assert.Equal(0x03, pdu[0]);
        Assert.Equal(24, pdu[2]);
        Assert.InRange(pdu.Length, 24, 152);
        Assert.Equal(fes, BinaryPrimitives.ReadUInt16LittleEndian(pdu.AsSpan(8)));
        Assert.Equal(fei, BinaryPrimitives.ReadUInt32LittleEndian(pdu.AsSpan(10)));
        Assert.True(await IsClosedAsync(), "the target kept the connection open after a fatal error");
    }

    /// <summary>True when the target closes the connection within the time.</summary>
    public async Task<bool> IsClosedAsync(int timeoutMs = 5000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        byte[] sink = new byte[4096];
        try
        {
            while (true)
            {
                if (await _socket.ReceiveAsync(sink, SocketFlags.None, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes with RST (linger 0) instead of FIN.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public void Dispose() => _socket.Dispose();

    private static async Task ReceiveExactlyAsync(Socket socket, string peer, Memory<byte> buffer, CancellationToken token)
    {
        while (!buffer.IsEmpty)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (n == 0)
            {
                throw new EndOfStreamException($"{peer} closed the connection");
            }

            buffer = buffer[n..];
        }
    }
}
