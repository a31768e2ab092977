using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.IntegrationTests.Virtio;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// 64-byte packet rate into a vhost-user backend: a <c>dpdk-testpmd</c> generator (virtio-user, txonly, on CPU 1)
/// feeds either our <see cref="VhostUserBackend"/> (a poll loop on CPU 0 that receives and releases every packet)
/// or DPDK's own <c>net_vhost</c> in a second testpmd (rxonly, CPU 0). Rounds alternate between the two sinks.
/// </summary>
/// <remarks>
/// Both sides are measured the same way: the generator's <c>Tx-pps</c> over a fixed window (testpmd computes it
/// from its TSC between two <c>show port stats</c>); the generator can only enqueue as fast as the sink frees
/// ring slots, so that is the sink's rate. Host cycles per packet = sink CPU time in the window x nominal clock
/// / packets. BenchmarkDotNet does not fit: the load comes from another process and runs for seconds.
/// </remarks>
internal static class VhostRateRun
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static void Run(int rounds)
    {
        Process.GetCurrentProcess().ProcessorAffinity = 1; // CPU 0: our poller (threads created from here inherit it).
        double hz = NominalHz();
        var ours = new List<(double Pps, double Cycles)>();
        var dpdk = new List<(double Pps, double Cycles)>();
        for (int r = 0; r < rounds; r++)
        {
            ours.Add(OursAsync(hz).GetAwaiter().GetResult());
            dpdk.Add(DpdkAsync(hz).GetAwaiter().GetResult());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r}: ours {ours[^1].Pps / 1e6:F2} Mpps {ours[^1].Cycles:F0} cyc/pkt, net_vhost {dpdk[^1].Pps / 1e6:F2} Mpps {dpdk[^1].Cycles:F0} cyc/pkt"));
        }

        double o = Median(ours.Select(x => x.Pps)), d = Median(dpdk.Select(x => x.Pps));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: ours {o / 1e6:F2} Mpps ({Median(ours.Select(x => x.Cycles)):F0} cycles/pkt), DPDK net_vhost {d / 1e6:F2} Mpps ({Median(dpdk.Select(x => x.Cycles)):F0} cycles/pkt), ratio {o / d:F2}x"));
    }

    private static async Task<(double, double)> OursAsync(double hz)
    {
        string socket = $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";
        using BufferPool pool = BufferPool.Create(4096, 2048, PageKind.Huge);
        using var backend = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socket }, pool);
        backend.Start();
        long received = 0;
        TimeSpan pollerCpu = TimeSpan.Zero;
        bool stop = false;
        var poller = new Thread(() =>
        {
            var burst = new PacketBuffer[32];
            VhostUserPort port = backend.Ports[0];
            while (!Volatile.Read(ref stop))
            {
                int n = port.ReceiveBurst(burst);
                PacketBuffer.ReleaseBurst(burst.AsSpan(0, n));

                Volatile.Write(ref received, received + n);
            }
        });
        poller.Start();
        await using TestPmd gen = await TestPmd.StartAsync($"net_virtio_user0,path={socket},queues=1", cpu: 1, queues: 1, "txonly");
        await gen.SendAsync("start");
        await Task.Delay(Warmup);
        await gen.ShowPortStatsAsync();
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long r0 = Volatile.Read(ref received);
        await Task.Delay(Window);
        TestPmd.PortStats s = await gen.ShowPortStatsAsync();
        long packets = Volatile.Read(ref received) - r0;
        pollerCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        await gen.SendAsync("stop");
        await gen.QuitAsync();
        Volatile.Write(ref stop, true);
        poller.Join();
        return (s.TxPps, pollerCpu.TotalSeconds * hz / packets);
    }

    private static async Task<(double, double)> DpdkAsync(double hz)
    {
        string socket = $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";
        await using TestPmd sink = await TestPmd.StartAsync($"net_vhost0,iface={socket},queues=1", cpu: 0, queues: 1, "rxonly", singleFileSegments: false);
        await sink.SendAsync("start");
        await using TestPmd gen = await TestPmd.StartAsync($"net_virtio_user0,path={socket},queues=1", cpu: 1, queues: 1, "txonly");
        await gen.SendAsync("start");
        await Task.Delay(Warmup);
        await gen.ShowPortStatsAsync();
        await sink.ShowPortStatsAsync();
        TimeSpan cpu0 = sink.CpuTime;
        await Task.Delay(Window);
        TestPmd.PortStats g = await gen.ShowPortStatsAsync();
        TestPmd.PortStats k = await sink.ShowPortStatsAsync();
        TimeSpan cpu = sink.CpuTime - cpu0;
        await gen.SendAsync("stop");
        await gen.QuitAsync();
        await sink.SendAsync("stop");
        await sink.QuitAsync();
        File.Delete(socket);
        return (g.TxPps, cpu.TotalSeconds * hz / (k.RxPps * Window.TotalSeconds));
    }

    private static double NominalHz()
    {
        string line = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
        return double.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture) * 1e6;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] v = [.. values.Order()];
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }
}
