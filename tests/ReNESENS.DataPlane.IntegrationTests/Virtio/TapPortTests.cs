using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>A TapPort against the kernel's TAP driver, in a namespace of this test run.</summary>
public sealed class TapPortTests : IDisposable
{
    private readonly BufferPool _pool = BufferPool.Create(64, TapPort.SuperframeBufferSize);
    private readonly string _name = $"vtp{Environment.ProcessId % 100000}";

    public void Dispose() => _pool.Dispose();

    [Fact]
    public async Task FramesTheKernelSendsArriveWithTheirHeaderAppliedAndFramesItRefusesAreCounted()
    {
        string ns = $"rn-vswt-{Environment.ProcessId % 100000}-tap";
        using TapPort port = TapPort.Open(_name, _pool);
        Assert.Equal(_name, port.InterfaceName);
        Assert.Equal(PortOffloads.Checksum | PortOffloads.TcpV4Segmentation | PortOffloads.TcpV6Segmentation | PortOffloads.UdpSegmentation, port.ReceiveOffloads);
        var burst = new PacketBuffer[32];
        Assert.Equal(0, port.ReceiveBurst(burst));
        Assert.False(port.WaitForReceive(0));
        try
        {
            await Ip("netns", "add", ns);
            await Ip("link", "set", _name, "netns", ns);
            await Ip("-n", ns, "addr", "add", "10.73.0.1/24", "dev", _name);
            await Ip("-n", ns, "link", "set", _name, "up");

            // The kernel resolves the peer with an ARP request: a broadcast frame out of the TAP, to us.
            Task<ProcessRunner.Result> ping = ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ping", "-c", "1", "-W", "1", "10.73.0.2"]);
            PacketBuffer? arp = null;
            for (int i = 0; i < 50 && arp is null; i++)
            {
                port.WaitForReceive(100);
                int n = port.ReceiveBurst(burst);
                for (int k = 0; k < n; k++)
                {
                    if (arp is null && burst[k].Data[12] == 0x08 && burst[k].Data[13] == 0x06)
                    {
                        arp = burst[k];
                    }
                    else
                    {
                        burst[k].Release();
                    }
                }
            }

            await ping;
            Assert.NotNull(arp);
            Assert.Equal(42, arp.PacketLength);
            Assert.True(arp.Data[..6].SequenceEqual(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }));
            Assert.Equal(ChecksumState.None, arp.ChecksumState);
            Assert.Equal(GsoType.None, arp.GsoType);
            arp.Release();

            // A 10-byte frame is shorter than an Ethernet header: the kernel refuses it, the port counts and frees it.
            Assert.True(_pool.TryRent(out PacketBuffer? runt));
            runt.Append(10).Clear();
            Assert.True(_pool.TryRent(out PacketBuffer? good));
            byte[] frame = new byte[60];
            frame[0] = 0x02;
            frame[6] = 0x02;
            frame[12] = 0x88;
            frame[13] = 0xB5;
            frame.CopyTo(good.Append(60));
            Assert.Equal(2, port.TransmitBurst([runt, good]));
            Assert.Equal(1, port.GetDrops(TapPortDrop.TransmitRefused));
            Assert.Equal(1, port.TransmittedPackets);
            Assert.Equal(60, port.TransmittedBytes);
            Assert.Equal(0, port.GetDrops(TapPortDrop.BadHeader));
            Assert.Equal(0, _pool.InUse);
        }
        finally
        {
            await ProcessRunner.RunAsync("ip", ["netns", "del", ns]);
        }
    }

    [Fact]
    public void SmallBuffersMeanNoReceiveOffloads()
    {
        using BufferPool small = BufferPool.Create(8, 2048);
        using TapPort port = TapPort.Open(_name + "s", small);
        Assert.Equal(PortOffloads.None, port.ReceiveOffloads);
    }

    [Fact]
    public void MultiQueueOpensOnePortPerQueueOnOneDevice()
    {
        IReadOnlyList<TapPort> queues = TapPort.OpenQueues(_name + "m", 2, _pool);
        try
        {
            Assert.Equal(2, queues.Count);
            Assert.Equal(queues[0].InterfaceName, queues[1].InterfaceName);
            Assert.Equal(1, queues[1].QueueIndex);
            Assert.True(Directory.Exists($"/sys/class/net/{_name}m"));
        }
        finally
        {
            foreach (TapPort q in queues)
            {
                q.Dispose();
            }
        }

        Assert.False(Directory.Exists($"/sys/class/net/{_name}m"));
    }

    private static async Task Ip(params string[] args)
    {
        ProcessRunner.Result r = await ProcessRunner.RunAsync("ip", args);
        Assert.True(r.ExitCode == 0, $"ip {string.Join(' ', args)}: {r}");
    }
}
