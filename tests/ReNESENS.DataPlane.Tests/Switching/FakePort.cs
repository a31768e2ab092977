using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Switching;

/// <summary>An in-memory packet port: tests queue frames to receive and inspect what was sent.</summary>
internal sealed class FakePort(string name, BufferPool pool, PortOffloads offloads = PortOffloads.None, int transmitLimit = int.MaxValue) : IPacketPort
{
    private readonly Queue<PacketBuffer> _inbound = new();

    public string Name { get; } = name;

    public PortOffloads TransmitOffloads { get; } = offloads;

    /// <summary>Copies of the frames sent, with their VLAN metadata.</summary>
    public List<byte[]> Sent { get; } = [];

    public void Inject(ReadOnlySpan<byte> frame)
    {
        Assert.True(pool.TryRent(out PacketBuffer? p));
        frame.CopyTo(p.Append(frame.Length));
        _inbound.Enqueue(p);
    }

    public int ReceiveBurst(Span<PacketBuffer> packets)
    {
        int n = 0;
        while (n < packets.Length && _inbound.TryDequeue(out PacketBuffer? p))
        {
            packets[n++] = p;
        }

        return n;
    }

    public int TransmitBurst(ReadOnlySpan<PacketBuffer> packets)
    {
        int n = Math.Min(packets.Length, transmitLimit);
        for (int i = 0; i < n; i++)
        {
            var copy = new byte[packets[i].PacketLength];
            packets[i].CopyTo(copy);
            Sent.Add(copy);
            packets[i].Release();
        }

        return n;
    }
}
