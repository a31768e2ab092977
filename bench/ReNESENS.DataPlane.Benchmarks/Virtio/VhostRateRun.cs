using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.IntegrationTests.Virtio;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// 64-byte packet rates through a vhost-user backend, ours (<see cref="VhostUserBackend"/>, one poll loop on CPU 0)
/// beside DPDK's own <c>net_vhost</c> (a second testpmd on CPU 0), with <c>dpdk-testpmd</c> virtio-user frontends on
/// CPU 1 as generator and sink. Both backends and a frontend for each are set up once per form and stay up; the rounds
/// then alternate short windows of one pair and of the other (which goes first alternates too), the idle pair stopped
/// (testpmd's forwarding lcores block, our poller sleeps), so that the two windows of a round run under the same vCPU
/// placement: on this shared VM the placement moves the rate by 3x, and separate process start-ups per window
/// paired ours with one placement and DPDK with another. Three forms:
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
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(0.7);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    /// <summary>Mbufs per testpmd: three of them run at once, within the machine's 1 GiB of huge pages.</summary>
    private const int Mbufs = 16384;

    private enum Form
    {
        Sink,
        Source,
        Forward,
    }

    /// <summary>A backend with its testpmd frontend, both up for the whole form, forwarding only in its windows.</summary>
    private interface IPair : IAsyncDisposable
    {
        TestPmd Guest { get; }

        TimeSpan BackendCpu { get; }

        Task StartAsync();

        Task StopAsync();

        Task<long> BusyCyclesAsync();
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static void Run(int rounds, string forms = "sink,source,forward")
    {
        Process.GetCurrentProcess().ProcessorAffinity = 1; // CPU 0: our poller (threads created from here inherit it).
        double hz = NominalHz();
        foreach (Form form in forms.Split(',').Select(f => Enum.Parse<Form>(f, ignoreCase: true)))
        {
            RunFormAsync(form, rounds, hz).GetAwaiter().GetResult();
        }
    }

    private static async Task RunFormAsync(Form form, int rounds, double hz)
    {
        var x = new List<(Sample Ours, Sample Dpdk)>();
        await using (OursPair ours = await OursPair.CreateAsync(form))
        await using (DpdkPair dpdk = await DpdkPair.CreateAsync(form))
        {
            for (int r = 0; r < rounds; r++)
            {
                Sample a, b;
                if (r % 2 == 0)
                {
                    a = await MeasureAsync(ours, form, hz);
                    b = await MeasureAsync(dpdk, form, hz);
                }
                else
                {
                    b = await MeasureAsync(dpdk, form, hz);
                    a = await MeasureAsync(ours, form, hz);
                }

                x.Add((a, b));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {r} {form,-7}: ours {a.Pps / 1e6:F2} Mpps {a.Cycles:F0} cyc/pkt busy {a.BusyCycles:F1} ({a.BusyCycles / a.Cycles:P0}) (steal {a.Steal:P0}), net_vhost {b.Pps / 1e6:F2} Mpps {b.Cycles:F0} cyc/pkt busy {b.BusyCycles:F1} ({b.BusyCycles / b.Cycles:P0}) (steal {b.Steal:P0}), ratio {a.Pps / b.Pps:F2}x"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median {form,-7}: ours {Median(x.Select(s => s.Ours.Pps)) / 1e6:F2} Mpps ({Median(x.Select(s => s.Ours.Cycles)):F0} cycles/pkt, busy {Median(x.Select(s => s.Ours.BusyCycles)):F1}), DPDK net_vhost {Median(x.Select(s => s.Dpdk.Pps)) / 1e6:F2} Mpps ({Median(x.Select(s => s.Dpdk.Cycles)):F0} cycles/pkt, busy {Median(x.Select(s => s.Dpdk.BusyCycles)):F1}), median of round ratios {Median(x.Select(s => s.Ours.Pps / s.Dpdk.Pps)):F2}x, busy cycles ours/net_vhost {Median(x.Select(s => s.Ours.BusyCycles / s.Dpdk.BusyCycles)):F2}x"));
    }

    /// <summary>The testpmd frontend on CPU 1, not yet forwarding: txonly (sink form), rxonly (source form), or io over two ports (forward form).</summary>
    private static Task<TestPmd> StartGuestAsync(Form form, string socketA, string socketB) => form switch
    {
        Form.Sink => TestPmd.StartAsync($"net_virtio_user0,path={socketA},queues=1", cpu: 1, queues: 1, "txonly", totalMbufs: Mbufs),
        Form.Source => TestPmd.StartAsync($"net_virtio_user0,path={socketA},queues=1", cpu: 1, queues: 1, "rxonly", totalMbufs: Mbufs),
        _ => TestPmd.StartAsync($"net_virtio_user0,path={socketA},queues=1", cpu: 1, queues: 1, "io", totalMbufs: Mbufs, secondVdev: $"net_virtio_user1,path={socketB},queues=1"),
    };

    /// <summary>Runs <paramref name="before"/>, then starts the pair's frontend; disposes the pair when either fails.</summary>
    private static async Task<TestPmd> StartGuestOrDisposeAsync(IPair pair, Form form, string socketA, string socketB, Func<Task>? before = null)
    {
        try
        {
            if (before is not null)
            {
                await before();
            }

            return await StartGuestAsync(form, socketA, socketB);
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the frontend's forwarding: the forward form injects a first burst each time (512 packets), which the loop then carries.</summary>
    private static Task StartGuestForwardingAsync(TestPmd guest, Form form) => guest.SendAsync(form == Form.Forward ? "start tx_first 16" : "start");

    /// <summary>
    /// One window of a pair: start it, warm up, then the rate over <see cref="Window"/> from testpmd's own counters,
    /// the backend's cycles and busy cycles per packet, and the steal; then stop it.
    /// </summary>
    private static async Task<Sample> MeasureAsync(IPair pair, Form form, double hz)
    {
        int port = form == Form.Forward ? 1 : 0;
        await pair.StartAsync();
        try
        {
            await Task.Delay(Warmup);
            await pair.Guest.ShowPortStatsAsync(port);
            TimeSpan cpu0 = pair.BackendCpu;
            long busy0 = await pair.BusyCyclesAsync();
            (long Steal, long Total) steal0 = Steal();
            await Task.Delay(Window);
            TestPmd.PortStats s = await pair.Guest.ShowPortStatsAsync(port);
            TimeSpan cpu = pair.BackendCpu - cpu0;
            long busy = await pair.BusyCyclesAsync() - busy0;
            (long Steal, long Total) steal1 = Steal();
            double pps = form == Form.Sink ? s.TxPps : s.RxPps;
            double packets = pps * Window.TotalSeconds;
            return new Sample(pps, cpu.TotalSeconds * hz / packets, busy / packets, (double)(steal1.Steal - steal0.Steal) / Math.Max(1, steal1.Total - steal0.Total));
        }
        finally
        {
            await pair.StopAsync();
        }
    }

    private static string NewSocket() => $"/tmp/rn-vhost-bench-{Guid.NewGuid():N}.sock";

    /// <summary>
    /// Our poll loop while <paramref name="active"/>: one <see cref="PollOnce"/> per iteration, and each poll that moved
    /// packets (each poll in the source form) adds its time to <paramref name="busy"/>. The loop is entered once per
    /// window, so it runs as on-stack-replacement code; the work sits in a method called per poll, which tiers up with
    /// profile data as the library's own forwarding loop (<c>VirtualSwitch</c>'s worker pass) does.
    /// </summary>
    private static void Poll(Form form, VhostUserPort a, VhostUserPort b, BufferPool pool, BusyClock busy, ref bool active)
    {
        var burst = new PacketBuffer[32];
        byte[] frame = Frame();
        while (Volatile.Read(ref active))
        {
            ulong start = BusyClock.Now();
            if (PollOnce(form, a, b, pool, burst, frame))
            {
                busy.Add(BusyClock.Now() - start);
            }
        }
    }

    /// <summary>
    /// One poll: receive and release (sink), fill and transmit (source), or receive on A and transmit on B (forward).
    /// </summary>
    /// <returns>Whether it moved packets; always true in the source form.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)] // Else the loop's OSR code inlines it, compiled once with no profile.
    private static bool PollOnce(Form form, VhostUserPort a, VhostUserPort b, BufferPool pool, PacketBuffer[] burst, byte[] frame)
    {
        switch (form)
        {
            case Form.Sink:
                {
                    int n = a.ReceiveBurst(burst);
                    if (n == 0)
                    {
                        return false;
                    }

                    PacketBuffer.ReleaseBurst(burst.AsSpan(0, n));
                    return true;
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
                    return true;
                }

            default:
                {
                    int n = a.ReceiveBurst(burst);
                    if (n == 0)
                    {
                        return false;
                    }

                    int sent = b.TransmitBurst(burst.AsSpan(0, n));
                    PacketBuffer.ReleaseBurst(burst.AsSpan(sent, n - sent));
                    return true;
                }
        }
    }

    /// <summary>Our backends (A, and B for the forward form) with one poll loop on CPU 0, which sleeps outside its windows.</summary>
    private sealed class OursPair : IPair
    {
        private readonly BufferPool _pool;
        private readonly VhostUserBackend _a;
        private readonly VhostUserBackend _b;
        private readonly Thread _poller;
        private readonly BusyClock _busy = new();
        private readonly Form _form;
        private bool _active;
        private bool _stop;
        private TestPmd? _guest;

        private OursPair(Form form, string socketA, string socketB)
        {
            _form = form;
            _pool = BufferPool.Create(4096, 2048, PageKind.Huge);
            _a = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socketA }, _pool);
            _b = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socketB }, _pool);
            _a.Start();
            if (form == Form.Forward)
            {
                _b.Start();
            }

            _poller = new Thread(PollWhileUp);
            _poller.Start();
        }

        public TestPmd Guest => _guest!;

        public TimeSpan BackendCpu => Process.GetCurrentProcess().TotalProcessorTime;

        public static async Task<OursPair> CreateAsync(Form form)
        {
            string socketA = NewSocket(), socketB = NewSocket();
            var pair = new OursPair(form, socketA, socketB);
            pair._guest = await StartGuestOrDisposeAsync(pair, form, socketA, socketB);
            return pair;
        }

        public async Task StartAsync()
        {
            Volatile.Write(ref _active, true);
            await StartGuestForwardingAsync(Guest, _form);
        }

        public async Task StopAsync()
        {
            await Guest.SendAsync("stop");
            Volatile.Write(ref _active, false);
        }

        public Task<long> BusyCyclesAsync() => Task.FromResult(_busy.Cycles);

        public async ValueTask DisposeAsync()
        {
            if (_guest is not null)
            {
                await _guest.SendAsync("stop");
                await _guest.QuitAsync();
                await _guest.DisposeAsync();
            }

            Volatile.Write(ref _stop, true);
            _poller.Join();
            _a.Dispose();
            _b.Dispose();
            _pool.Dispose();
        }

        private void PollWhileUp()
        {
            while (!Volatile.Read(ref _stop))
            {
                if (Volatile.Read(ref _active))
                {
                    Poll(_form, _a.Ports[0], _b.Ports[0], _pool, _busy, ref _active);
                }
                else
                {
                    Thread.Sleep(1);
                }
            }
        }
    }

    /// <summary>One testpmd with DPDK's net_vhost port (two for the forward form) on CPU 0, forwarding only in its windows.</summary>
    private sealed class DpdkPair : IPair
    {
        private readonly TestPmd _vhost;
        private readonly Form _form;
        private readonly string[] _sockets;
        private TestPmd? _guest;

        private DpdkPair(TestPmd vhost, Form form, string[] sockets)
        {
            _vhost = vhost;
            _form = form;
            _sockets = sockets;
        }

        public TestPmd Guest => _guest!;

        public TimeSpan BackendCpu => _vhost.CpuTime;

        public static async Task<DpdkPair> CreateAsync(Form form)
        {
            string socketA = NewSocket(), socketB = NewSocket();
            string mode = form switch { Form.Sink => "rxonly", Form.Source => "txonly", _ => "io" };
            TestPmd vhost = await TestPmd.StartAsync(
                $"net_vhost0,iface={socketA},queues=1", cpu: 0, queues: 1, mode, singleFileSegments: false,
                secondVdev: form == Form.Forward ? $"net_vhost1,iface={socketB},queues=1" : null, totalMbufs: Mbufs);
            var pair = new DpdkPair(vhost, form, [socketA, socketB]);
            pair._guest = await StartGuestOrDisposeAsync(pair, form, socketA, socketB, () => vhost.SendAsync("set record-core-cycles on"));
            return pair;
        }

        public async Task StartAsync()
        {
            await _vhost.SendAsync("start");
            await StartGuestForwardingAsync(Guest, _form);
        }

        public async Task StopAsync()
        {
            await Guest.SendAsync("stop");
            await _vhost.SendAsync("stop");
        }

        public Task<long> BusyCyclesAsync() => _vhost.ShowBusyCyclesAsync();

        public async ValueTask DisposeAsync()
        {
            foreach (TestPmd? pmd in new[] { _guest, _vhost })
            {
                if (pmd is not null)
                {
                    await pmd.SendAsync("stop");
                    await pmd.QuitAsync();
                    await pmd.DisposeAsync();
                }
            }

            foreach (string socket in _sockets)
            {
                File.Delete(socket);
            }
        }
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
