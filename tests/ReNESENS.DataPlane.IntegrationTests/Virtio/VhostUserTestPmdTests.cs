using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>
/// Our vhost-user backend against DPDK's virtio-user frontend in <c>dpdk-testpmd</c>: split and packed rings,
/// mergeable buffers on and off, in-order use of buffers on and off, one and several queues, in txonly, rxonly and io
/// forwarding. The packet and byte counts of both sides must match exactly.
/// </summary>
[Collection("dpdk")]
public sealed class VhostUserTestPmdTests
{
    private const int PmdCpu = 1;

    public static TheoryData<string, bool, bool, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, bool, bool, int>();
        foreach (string mode in new[] { "txonly", "rxonly", "io" })
        {
            // In order (virtio-user's default), then without: the driver's other transmit and receive paths.
            data.Add(mode, false, false, true, 1);
            data.Add(mode, false, true, true, 1);
            data.Add(mode, true, false, true, 1);
            data.Add(mode, true, true, true, 1);
            data.Add(mode, false, true, false, 1);
            data.Add(mode, true, false, false, 1);
        }

        data.Add("txonly", false, true, true, 2);
        data.Add("io", true, true, true, 2);
        data.Add("rxonly", false, false, false, 2);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CountsMatchTestPmd(string mode, bool packed, bool mergeable, bool inOrder, int queues)
    {
        string socket = $"/tmp/rn-vhost-{Guid.NewGuid():N}.sock";
        using BufferPool pool = BufferPool.Create(8192, 2048, PageKind.Small);
        using var backend = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socket, QueuePairs = queues }, pool);
        backend.Start();
        using var poller = new VhostPoller(backend.Ports, pool);
        string vdev = $"net_virtio_user0,path={socket},queues={queues},packed_vq={(packed ? 1 : 0)},mrg_rxbuf={(mergeable ? 1 : 0)},in_order={(inOrder ? 1 : 0)},queue_size=256";
        await using TestPmd pmd = await TestPmd.StartAsync(vdev, PmdCpu, queues, mode);
        Assert.True(backend.IsConnected);
        Assert.Equal(packed, (backend.NegotiatedFeatures & (1UL << 34)) != 0);
        Assert.Equal(mergeable, (backend.NegotiatedFeatures & (1UL << 15)) != 0);
        Assert.Equal(inOrder, (backend.NegotiatedFeatures & (1UL << 35)) != 0);

        await pmd.SendAsync("start");
        await WaitUntil(() => backend.Ports.All(p => p.IsRunning), pmd);
        const long count = 20_000;
        if (mode == "txonly")
        {
            await Task.Delay(700);
        }
        else
        {
            poller.Send(count);
        }

        poller.WaitQuiet(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(20));
        await pmd.SendAsync("stop");
        await Task.Delay(100);
        poller.WaitQuiet(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
        TestPmd.PortStats stats = await pmd.ShowPortStatsAsync();
        await pmd.QuitAsync();

        switch (mode)
        {
            case "txonly":
                Assert.True(stats.TxPackets > 1000, $"testpmd sent only {stats.TxPackets}");
                Assert.Equal(stats.TxPackets, poller.Received);
                Assert.Equal(stats.TxBytes, poller.ReceivedBytes);
                Assert.Equal(0, stats.RxPackets);
                break;
            case "rxonly":
                Assert.Equal(count, poller.Sent);
                Assert.Equal(count, stats.RxPackets);
                Assert.Equal(count * VhostPoller.FrameLength, stats.RxBytes);
                Assert.Equal(0, poller.Received);
                break;
            default:
                Assert.Equal(count, poller.Sent);
                Assert.Equal(count, stats.RxPackets);
                Assert.Equal(count * VhostPoller.FrameLength, stats.RxBytes);

                // testpmd drops what its transmit ring cannot take when our poller is descheduled; what it did send
                // we must have received, byte for byte.
                Assert.True(poller.Received > count / 2, $"only {poller.Received} of {count} came back");
                Assert.Equal(stats.TxPackets, poller.Received);
                Assert.Equal(stats.TxBytes, poller.ReceivedBytes);
                break;
        }

        VhostUserPortStatistics total = default;
        foreach (VhostUserPort p in backend.Ports)
        {
            VhostUserPortStatistics s = p.GetStatistics();
            Assert.Equal(0, s.DescriptorErrors);
            Assert.Equal(0, s.ReceiveDrops);
            Assert.Equal(0, s.TransmitDrops);
            total = total with { ReceivedPackets = total.ReceivedPackets + s.ReceivedPackets, TransmittedPackets = total.TransmittedPackets + s.TransmittedPackets };
        }

        Assert.Equal(poller.Received, total.ReceivedPackets);
        Assert.Equal(poller.Sent, total.TransmittedPackets);
        if (queues > 1 && mode != "rxonly")
        {
            // Every queue pair carried traffic.
            Assert.All(backend.Ports, p => Assert.True(p.GetStatistics().ReceivedPackets > 0, $"{p.Name} received nothing"));
        }

        Assert.False(backend.NeedsReset);
    }

    [Fact]
    public async Task InClientModeTheBackendReconnectsToARestartedFrontendAndRenegotiates()
    {
        string socket = $"/tmp/rn-vhost-{Guid.NewGuid():N}.sock";
        using BufferPool pool = BufferPool.Create(4096, 2048, PageKind.Small);
        using var backend = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socket, Mode = VhostUserMode.Client }, pool);
        backend.Start();
        using var poller = new VhostPoller(backend.Ports, pool);
        long before = 0;
        for (int run = 1; run <= 2; run++)
        {
            bool packed = run == 2;
            await using (TestPmd pmd = await TestPmd.StartAsync($"net_virtio_user0,path={socket},server=1,queues=1,packed_vq={(packed ? 1 : 0)}", PmdCpu, 1, "txonly"))
            {
                await WaitUntil(() => backend.Ports[0].IsRunning, pmd);
                Assert.Equal(packed, (backend.NegotiatedFeatures & (1UL << 34)) != 0);
                await pmd.SendAsync("start");
                await Task.Delay(500);
                await pmd.SendAsync("stop");
                poller.WaitQuiet(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
                TestPmd.PortStats stats = await pmd.ShowPortStatsAsync();
                await pmd.QuitAsync();
                Assert.True(stats.TxPackets > 1000);
                Assert.Equal(stats.TxPackets, poller.Received - before);
                before = poller.Received;
            }

            for (int i = 0; i < 500 && (backend.IsConnected && backend.ConnectionCount == run); i++)
            {
                await Task.Delay(10);
            }

            Assert.False(backend.Ports[0].IsRunning);
            File.Delete(socket);
        }

        Assert.True(backend.ConnectionCount >= 2);
    }

    private static async Task WaitUntil(Func<bool> condition, TestPmd pmd)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "the rings did not start:\n" + pmd.Output);
    }
}
