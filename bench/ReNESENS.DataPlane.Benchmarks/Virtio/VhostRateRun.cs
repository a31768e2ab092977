using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.IntegrationTests.Virtio;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// 64-byte packet rates through a vhost-user backend, ours (<see cref="VhostUserBackend"/>, one poll loop on CPU 0)
/// beside DPDK's own <c>net_vhost</c> (a second testpmd on CPU 0), with <c>dpdk-testpmd</c> virtio-user frontends on
/// CPU 1 as generator and sink. Three forms, each round running ours then DPDK's for every form:
/// <list type="bullet">
/// <item><b>sink</b> (the main figure): testpmd txonly -> backend, which receives and releases every packet
/// (DPDK: net_vhost in rxonly).</item>
/// <item><b>source</b>: backend fills 64-byte frames and transmits them -> testpmd rxonly (DPDK: net_vhost in txonly).</item>
/// <item><b>forward</b>: a loop, as a PVP test runs it: one testpmd on CPU 1 with two virtio-user ports in io
/// forwarding, started with <c>start tx_first 16</c> (512 packets injected), sends on port 0; the backend on CPU 0
/// forwards its port A to its port B; testpmd receives them on port 1 and sends them back out of port 0 (DPDK: one
/// testpmd with two net_vhost ports in io forwarding on CPU 0). Two busy pollers on two CPUs, as in the other forms:
/// a generator and a sink in separate testpmds would be three pollers on two CPUs, and two pollers time-sliced on one
/// CPU move one ring's worth of packets per scheduler slice (tens of kpps), which measures the scheduler, not the
/// backend. The rate is testpmd's Rx-pps on port 1: packets that made it through the backend.</item>
/// </list>
/// </summary>
/// <remarks>
/// The rate is what testpmd computes from its TSC between two <c>show port stats</c> over a fixed window: the
/// generator's Tx-pps for the sink form (it can only enqueue as fast as the backend frees slots), the sink's Rx-pps
/// for the others. Host cycles per packet = backend CPU time in the window x nominal clock / packets (it includes idle
/// polling when the other side is the bottleneck). Busy cycles per packet are what testpmd's
/// <c>--record-core-cycles</c> counts, the backend's own CPU cost: TSC cycles from the start to the end of every poll
/// that moved packets (every poll for the source form, as testpmd's txonly counts them), over the packets; for
/// net_vhost from <c>show fwd stats all</c>, for ours from the same bracket around our poll loop's calls. Where the
/// busy share (busy cycles over all cycles) is well under 100%, the frontend is what limits the rate. Each line also
/// gives the CPU time the host stole from CPUs 0 and 1 during the window (/proc/stat), which on a shared machine
/// explains most of the spread; compare the ratio per round.
/// BenchmarkDotNet does not fit: the load comes from other processes and runs for seconds.
/// </remarks>
internal static partial class VhostRateRun
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    /// <summary>Mbufs per testpmd: three of them run at once in the forward form, within the machine's 1 GiB of huge pages.</summary>
    private const int Mbufs = 16384;

    private enum Form
    {
        Sink,
        Source,
        Forward,
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static void Run(int rounds, string forms = "sink,source,forward")
    {
        Process.GetCurrentProcess().ProcessorAffinity = 1; // CPU 0: our poller (threads created from here inherit it).
        double hz = NominalHz();
        Form[] chosen = [.. forms.Split(',').Select(f => Enum.Parse<Form>(f, ignoreCase: true))];
        var results = chosen.ToDictionary(f => f, _ => new List<(Sample Ours, Sample Dpdk)>());
        for (int r = 0; r < rounds; r++)
        {
            foreach (Form form in chosen)
            {
                Sample ours = OursAsync(form, hz).GetAwaiter().GetResult();
                Sample dpdk = DpdkAsync(form, hz).GetAwaiter().GetResult();
                results[form].Add((ours, dpdk));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {r} {form,-7}: ours {ours.Pps / 1e6:F2} Mpps {ours.Cycles:F0} cyc/pkt busy {ours.BusyCycles:F1} ({ours.BusyCycles / ours.Cycles:P0}) (steal {ours.Steal:P0}), net_vhost {dpdk.Pps / 1e6:F2} Mpps {dpdk.Cycles:F0} cyc/pkt busy {dpdk.BusyCycles:F1} ({dpdk.BusyCycles / dpdk.Cycles:P0}) (steal {dpdk.Steal:P0}), ratio {ours.Pps / dpdk.Pps:F2}x"));
            }
        }

        foreach (Form form in chosen)
        {
            List<(Sample Ours, Sample Dpdk)> x = results[form];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"median {form,-7}: ours {Median(x.Select(s => s.Ours.Pps)) / 1e6:F2} Mpps ({Median(x.Select(s => s.Ours.Cycles)):F0} cycles/pkt, busy {Median(x.Select(s => s.Ours.BusyCycles)):F1}), DPDK net_vhost {Median(x.Select(s => s.Dpdk.Pps)) / 1e6:F2} Mpps ({Median(x.Select(s => s.Dpdk.Cycles)):F0} cycles/pkt, busy {Median(x.Select(s => s.Dpdk.BusyCycles)):F1}), median of round ratios {Median(x.Select(s => s.Ours.Pps / s.Dpdk.Pps)):F2}x, busy cycles ours/net_vhost {Median(x.Select(s => s.Ours.BusyCycles / s.Dpdk.BusyCycles)):F2}x"));
        }
    }

    private static async Task<Sample> OursAsync(Form form, double hz)
    {
        string socketA = $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";
        string socketB = $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";
        using BufferPool pool = BufferPool.Create(4096, 2048, PageKind.Huge);
        using var backendA = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socketA }, pool);
        using var backendB = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socketB }, pool);
        backendA.Start();
        if (form == Form.Forward)
        {
            backendB.Start();
        }

        bool stop = false;
        var busy = new BusyClock();
        var poller = new Thread(() => Poll(form, backendA.Ports[0], backendB.Ports[0], pool, busy, ref stop));
        poller.Start();
        TestPmd? guest = null;
        try
        {
            guest = await StartGuestAsync(form, socketA, socketB);
            return await MeasureAsync(guest, form, () => Process.GetCurrentProcess().TotalProcessorTime, () => Task.FromResult(busy.Cycles), hz);
        }
        finally
        {
            if (guest is not null)
            {
                await guest.SendAsync("stop");
                await guest.QuitAsync();
                await guest.DisposeAsync();
            }

            Volatile.Write(ref stop, true);
            poller.Join();
        }
    }

    /// <summary>The testpmd frontend on CPU 1: txonly (sink form), rxonly (source form), or io over two ports started with a first burst (forward form).</summary>
    private static async Task<TestPmd> StartGuestAsync(Form form, string socketA, string socketB)
    {
        TestPmd guest = form switch
        {
            Form.Sink => await TestPmd.StartAsync($"net_virtio_user0,path={socketA},queues=1", cpu: 1, queues: 1, "txonly", totalMbufs: Mbufs),
            Form.Source => await TestPmd.StartAsync($"net_virtio_user0,path={socketA},queues=1", cpu: 1, queues: 1, "rxonly", totalMbufs: Mbufs),
            _ => await TestPmd.StartAsync($"net_virtio_user0,path={socketA},queues=1", cpu: 1, queues: 1, "io", totalMbufs: Mbufs, secondVdev: $"net_virtio_user1,path={socketB},queues=1"),
        };
        await guest.SendAsync(form == Form.Forward ? "start tx_first 16" : "start");
        return guest;
    }

    /// <summary>
    /// Our poll loop: receive and release (sink), fill and transmit (source), or receive on A and transmit on B
    /// (forward); each poll that moved packets (each poll in the source form) adds its time to <paramref name="busy"/>.
    /// </summary>
    private static void Poll(Form form, VhostUserPort a, VhostUserPort b, BufferPool pool, BusyClock busy, ref bool stop)
    {
        var burst = new PacketBuffer[32];
        ReadOnlySpan<byte> frame = Frame();
        while (!Volatile.Read(ref stop))
        {
            ulong start = BusyClock.Now();
            switch (form)
            {
                case Form.Sink:
                    {
                        int n = a.ReceiveBurst(burst);
                        if (n == 0)
                        {
                            continue;
                        }

                        PacketBuffer.ReleaseBurst(burst.AsSpan(0, n));
                        break;
                    }
                case Form.Source:
                    {
                        // As testpmd's txonly: build every frame, send what fits, free the rest.
                        int n = pool.TryRentBurst(burst);
                        for (int i = 0; i < n; i++)
                        {
                            frame.CopyTo(burst[i].Append(frame.Length));
                        }

                        int sent = a.TransmitBurst(burst.AsSpan(0, n));
                        PacketBuffer.ReleaseBurst(burst.AsSpan(sent, n - sent));
                        break;
                    }

                default:
                    {
                        int n = a.ReceiveBurst(burst);
                        if (n == 0)
                        {
                            continue;
                        }

                        int sent = b.TransmitBurst(burst.AsSpan(0, n));
                        PacketBuffer.ReleaseBurst(burst.AsSpan(sent, n - sent));
                        break;
                    }
            }

            busy.Add(BusyClock.Now() - start);
        }
    }

    private static async Task<Sample> DpdkAsync(Form form, double hz)
    {
        string socketA = $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";
        string socketB = $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";
        string mode = form switch { Form.Sink => "rxonly", Form.Source => "txonly", _ => "io" };
        TestPmd? guest = null;
        await using TestPmd vhost = await TestPmd.StartAsync(
            $"net_vhost0,iface={socketA},queues=1", cpu: 0, queues: 1, mode, singleFileSegments: false,
            secondVdev: form == Form.Forward ? $"net_vhost1,iface={socketB},queues=1" : null, totalMbufs: Mbufs);
        try
        {
            await vhost.SendAsync("set record-core-cycles on");
            await vhost.SendAsync("start");
            guest = await StartGuestAsync(form, socketA, socketB);
            return await MeasureAsync(guest, form, () => vhost.CpuTime, vhost.ShowBusyCyclesAsync, hz);
        }
        finally
        {
            foreach (TestPmd? pmd in new[] { guest, vhost })
            {
                if (pmd is not null)
                {
                    await pmd.SendAsync("stop");
                    await pmd.QuitAsync();
                }
            }

            if (guest is not null)
            {
                await guest.DisposeAsync();
            }

            File.Delete(socketA);
            File.Delete(socketB);
        }
    }

    /// <summary>Warm-up, then the rate over <see cref="Window"/> from testpmd's own counters, the backend's cycles per packet, and the steal.</summary>
    private static async Task<Sample> MeasureAsync(TestPmd guest, Form form, Func<TimeSpan> backendCpu, Func<Task<long>> backendBusyCycles, double hz)
    {
        int port = form == Form.Forward ? 1 : 0;
        await Task.Delay(Warmup);
        await guest.ShowPortStatsAsync(port);
        TimeSpan cpu0 = backendCpu();
        long busy0 = await backendBusyCycles();
        (long Steal, long Total) steal0 = Steal();
        await Task.Delay(Window);
        TestPmd.PortStats s = await guest.ShowPortStatsAsync(port);
        TimeSpan cpu = backendCpu() - cpu0;
        long busy = await backendBusyCycles() - busy0;
        (long Steal, long Total) steal1 = Steal();
        double pps = form == Form.Sink ? s.TxPps : s.RxPps;
        double packets = pps * Window.TotalSeconds;
        return new Sample(pps, cpu.TotalSeconds * hz / packets, busy / packets, (double)(steal1.Steal - steal0.Steal) / Math.Max(1, steal1.Total - steal0.Total));
    }

    /// <summary>Steal and total jiffies of CPUs 0 and 1.</summary>
    private static (long Steal, long Total) Steal()
    {
        long steal = 0, total = 0;
        foreach (string line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("cpu0 ", StringComparison.Ordinal) || line.StartsWith("cpu1 ", StringComparison.Ordinal))
            {
                long[] v = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture))];
                steal += v[7];
                total += v.Take(8).Sum();
            }
        }

        return (steal, total);
    }

    /// <summary>A 64-byte UDP/IPv4 frame like testpmd's txonly default (checksums not filled: the sink does not check them).</summary>
    private static byte[] Frame()
    {
        byte[] f = new byte[64];
        ReadOnlySpan<byte> header =
        [
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // Ethernet
            0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, // IPv4
            0x04, 0xD2, 0x16, 0x2E, 0, 30, 0, 0, // UDP
        ];
        header.CopyTo(f);
        return f;
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

    private readonly record struct Sample(double Pps, double Cycles, double BusyCycles, double Steal);

    /// <summary>
    /// TSC cycles our poll loop spent in polls that moved packets, added by the poller and read by the measurement:
    /// the counter testpmd's <c>--record-core-cycles</c> reads, through native/tsc.c (a direct call, no GC transition).
    /// </summary>
    private sealed partial class BusyClock
    {
        private long _cycles;

        public long Cycles => Volatile.Read(ref _cycles);

        [LibraryImport("bench_tsc", EntryPoint = "bench_tsc")]
        [SuppressGCTransition]
        public static partial ulong Now();

        public void Add(ulong cycles) => Volatile.Write(ref _cycles, _cycles + (long)cycles); // One writer: the poller.
    }
}
