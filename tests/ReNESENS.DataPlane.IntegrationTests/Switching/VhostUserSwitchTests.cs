using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.IntegrationTests.Virtio;
using ReNESENS.DataPlane.Switching;
using Xunit.Abstractions;

namespace ReNESENS.DataPlane.IntegrationTests.Switching;

/// <summary>
/// The hosted switch (event mode) with a vhost-user port, served to <c>dpdk-testpmd</c>'s virtio-user frontend, and a
/// TAP port in a namespace of this test (<c>rn-vhp-PID-N</c>): frames cross in both directions and every counter on
/// the way (testpmd, the switch, the kernel's TAP statistics) agrees exactly.
/// </summary>
[Collection("dpdk")]
public sealed class VhostUserSwitchTests(ITestOutputHelper output)
{
    private const int PmdCpu = 1;
    private const string PmdMac = "02:76:68:70:00:02";
    private const int Bursts = 8;
    private const int Pings = 20;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static int _next;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FramesCrossBetweenTestPmdAndATapNamespaceWithMatchingCounts(bool packed)
    {
        int n = Interlocked.Increment(ref _next);
        int pid = Environment.ProcessId % 100000;
        string ns = $"rn-vhp-{pid}-{n}";
        string tap = $"vhp{pid}x{n}";
        string socket = $"/tmp/rn-vhp-{pid}-{n}.sock";
        string address = $"10.79.{n % 250}.1";
        string pmdAddress = $"10.79.{n % 250}.2";

        var options = new VirtualSwitchHostOptions();
        options.Forwarding.Mode = ForwardingMode.Event;
        options.Forwarding.SegmentBufferCount = 256;
        var tapPort = new SwitchPortConfiguration { Name = tap, Type = TapSwitchPortFactory.TypeName };
        options.Ports.Add(tapPort);
        var vhostPort = new SwitchPortConfiguration { Name = "vm", Type = VhostUserSwitchPortFactory.TypeName };
        vhostPort.Settings["socket"] = socket;
        vhostPort.Settings["mode"] = "server";
        vhostPort.Settings["packed"] = packed ? "true" : "false";
        vhostPort.Settings["buffers"] = "1024";
        options.Ports.Add(vhostPort);

        using var tapFactory = new TapSwitchPortFactory();
        using var service = new VirtualSwitchService(Options.Create(options), [tapFactory, new VhostUserSwitchPortFactory()], NullLoggerFactory.Instance);
        bool namespaceCreated = false;
        try
        {
            await service.StartAsync(CancellationToken.None);
            VirtualSwitch sw = service.Switch!;
            SwitchPort switchTap = sw.Ports.Single(p => p.Name == tap);
            SwitchPort switchVm = sw.Ports.Single(p => p.Name == "vm");

            await IpAsync("netns", "add", ns);
            namespaceCreated = true;
            await IpAsync("link", "set", tap, "netns", ns);

            // No IPv6 (router solicitations, MLD): the only frames the namespace sends are the pings below.
            await InNamespaceAsync(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            await InNamespaceAsync(ns, "sysctl", "-q", "-w", $"net.ipv6.conf.{tap}.disable_ipv6=1");
            await IpAsync("-n", ns, "addr", "add", $"{address}/24", "dev", tap);
            await IpAsync("-n", ns, "link", "set", tap, "up");
            long tapRxBefore = await TapCounterAsync(ns, tap, "rx_packets");

            string vdev = $"net_virtio_user0,path={socket},queues=1,queue_size=256,packed_vq={(packed ? 1 : 0)},mac={PmdMac}";
            await using TestPmd pmd = await TestPmd.StartAsync(vdev, PmdCpu, 1, "rxonly");

            // testpmd -> switch -> TAP: 8 bursts of 32 64-byte UDP frames to 02:00:00:00:00:00 (unknown: flooded),
            // from PmdMac (learned on the vhost-user port); then testpmd only receives.
            await pmd.SendAsync($"start tx_first {Bursts}");
            TestPmd.PortStats sent = await SettleAsync(pmd, s => s.TxPackets);
            Assert.True(sent.TxPackets > 0 && sent.TxPackets <= Bursts * 32, $"testpmd sent {sent.TxPackets}\n{pmd.Output}");
            await WaitUntilAsync(() => switchTap.GetStatistics().TransmittedPackets >= sent.TxPackets, () => Describe(sw));
            long tapRx = 0;
            await WaitUntilAsync(async () => (tapRx = await TapCounterAsync(ns, tap, "rx_packets") - tapRxBefore) >= sent.TxPackets, () => $"kernel rx {tapRx}\n{Describe(sw)}");

            Assert.Equal(sent.TxPackets, switchVm.GetStatistics().ReceivedPackets);
            Assert.Equal(sent.TxBytes, switchVm.GetStatistics().ReceivedBytes);
            Assert.Equal(sent.TxPackets, switchTap.GetStatistics().TransmittedPackets);
            Assert.Equal(sent.TxPackets, tapRx);
            Assert.Equal(0, sent.RxPackets);

            // TAP -> switch -> testpmd: pings to an address whose neighbour entry names testpmd's MAC (no ARP, no replies).
            await IpAsync("-n", ns, "neigh", "add", pmdAddress, "lladdr", PmdMac, "dev", tap, "nud", "permanent");
            long tapTxBefore = await TapCounterAsync(ns, tap, "tx_packets");
            ProcessRunner.Result ping = await NamespaceLab.InNamespaceAsync(ns, Limit, "ping", "-c", Pings.ToString(CultureInfo.InvariantCulture), "-i", "0.05", "-W", "1", pmdAddress);
            Assert.Contains($"{Pings} packets transmitted", ping.Output, StringComparison.Ordinal);
            long tapTx = await TapCounterAsync(ns, tap, "tx_packets") - tapTxBefore;
            await WaitUntilAsync(() => switchVm.GetStatistics().TransmittedPackets >= tapTx, () => Describe(sw));
            TestPmd.PortStats received = await SettleAsync(pmd, s => s.RxPackets);
            await pmd.SendAsync("stop");
            await pmd.QuitAsync();

            string state = $"kernel tx {tapTx}, testpmd rx {received.RxPackets}\n{Describe(sw)}";
            output.WriteLine($"testpmd tx {sent.TxPackets}/{sent.TxBytes} B, kernel rx {tapRx}; {state}");
            // With IPv6 off and a permanent neighbour entry the pings are all the namespace sends.
            Assert.True(tapTx == Pings && received.RxPackets == Pings, state);
            Assert.True(tapTx == switchTap.GetStatistics().ReceivedPackets, state);
            Assert.True(received.RxPackets == switchTap.GetStatistics().ReceivedPackets, state);
            Assert.True(received.RxPackets == switchVm.GetStatistics().TransmittedPackets, state);
            Assert.True(received.RxBytes == switchVm.GetStatistics().TransmittedBytes, state);
            Assert.True(received.TxPackets == sent.TxPackets, state);
            Assert.True(sw.Ports.All(p => p.GetStatistics().TotalDrops == 0), state);
            Assert.True(sw.MacTable.TryLookup(Convert.FromHexString(PmdMac.Replace(":", string.Empty, StringComparison.Ordinal)), 1, out int learned) && learned == switchVm.Index, state);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
            if (namespaceCreated)
            {
                await ProcessRunner.RunAsync("ip", ["netns", "del", ns], timeout: Limit);
            }

            File.Delete(socket);
        }

        Assert.False(File.Exists($"/run/netns/{ns}"));
    }

    [Fact]
    public async Task TheSampleWithVhostTapJsonCarriesTestPmdFramesIntoItsNamespaceAndCleansUp()
    {
        int n = Interlocked.Increment(ref _next);
        int pid = Environment.ProcessId % 100000;
        string ns = $"rn-vhp-{pid}-s{n}";
        string tap = $"vhp{pid}s{n}";
        string socket = $"/tmp/rn-vhp-{pid}-s{n}.sock";
        string dll = await VSwitchSampleTests.EnsureBuiltAsync();
        string config = Path.Combine(RepositoryPaths.Root, "samples", "ReNESENS.VSwitch", "vhost-tap.json");
        var info = new ProcessStartInfo("dotnet", [dll, "--config", config, "--stats-interval", "0", "--duration", "60",
            $"--Switch:Ports:0:Name={tap}", $"--Switch:Ports:0:Settings:namespace={ns}", $"--Switch:Ports:1:Settings:socket={socket}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process sample = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        var placed = new TaskCompletionSource();
        DataReceivedEventHandler collect = (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data?.Contains($"is in namespace {ns}", StringComparison.Ordinal) == true)
            {
                placed.TrySetResult();
            }
        };
        sample.OutputDataReceived += collect;
        sample.ErrorDataReceived += collect;
        sample.BeginOutputReadLine();
        sample.BeginErrorReadLine();
        string Log()
        {
            lock (log)
            {
                return log.ToString();
            }
        }

        try
        {
            await placed.Task.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(File.Exists(socket), Log());
            Assert.Contains("Port vm1 (vhost-user) opened with 1 queue(s)", Log(), StringComparison.Ordinal);
            long before = await TapCounterAsync(ns, tap, "rx_packets");
            TestPmd.PortStats sent;
            await using (TestPmd pmd = await TestPmd.StartAsync($"net_virtio_user0,path={socket},queues=1,packed_vq=1,queue_size=256,mac={PmdMac}", PmdCpu, 1, "rxonly"))
            {
                await pmd.SendAsync($"start tx_first {Bursts}");
                sent = await SettleAsync(pmd, s => s.TxPackets);
                await pmd.QuitAsync();
            }

            // Nothing but testpmd feeds the TAP port: the namespace's kernel counts exactly what testpmd sent.
            long rx = 0;
            await WaitUntilAsync(async () => (rx = await TapCounterAsync(ns, tap, "rx_packets") - before) >= sent.TxPackets, Log);
            Assert.True(sent.TxPackets > 0, Log());
            Assert.Equal(sent.TxPackets, rx);

            await ProcessRunner.RunAsync("kill", ["-TERM", sample.Id.ToString(CultureInfo.InvariantCulture)]);
            await sample.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!sample.HasExited)
            {
                sample.Kill(entireProcessTree: true);
                await sample.WaitForExitAsync();
            }

            if (File.Exists($"/run/netns/{ns}"))
            {
                await ProcessRunner.RunAsync("ip", ["netns", "del", ns], timeout: Limit);
            }
        }

        Assert.True(sample.ExitCode == 0, Log());
        Assert.Contains($"Removed namespace {ns}", Log(), StringComparison.Ordinal);
        Assert.False(File.Exists(socket), Log());
    }

    private static string Describe(VirtualSwitch sw) => string.Join(
        '\n',
        sw.Ports.Select(p =>
        {
            SwitchPortStatistics s = p.GetStatistics();
            return string.Create(CultureInfo.InvariantCulture, $"{p.Name}: rx {s.ReceivedPackets}/{s.ReceivedBytes} tx {s.TransmittedPackets}/{s.TransmittedBytes} drops {string.Join(',', s.Drops)}");
        }));

    /// <summary>Reads testpmd's counters until <paramref name="value"/> stays the same for 300 ms (bounded).</summary>
    private static async Task<TestPmd.PortStats> SettleAsync(TestPmd pmd, Func<TestPmd.PortStats, long> value)
    {
        var clock = Stopwatch.StartNew();
        TestPmd.PortStats last = await pmd.ShowPortStatsAsync();
        while (clock.Elapsed < Limit)
        {
            await Task.Delay(300);
            TestPmd.PortStats now = await pmd.ShowPortStatsAsync();
            if (value(now) == value(last) && value(now) > 0)
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    private static Task WaitUntilAsync(Func<bool> done, Func<string> state) => WaitUntilAsync(() => Task.FromResult(done()), state);

    private static async Task WaitUntilAsync(Func<Task<bool>> done, Func<string> state)
    {
        var clock = Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(clock.Elapsed < Limit, "timed out:\n" + state());
            await Task.Delay(20);
        }
    }

    private static async Task<long> TapCounterAsync(string ns, string tap, string counter)
    {
        ProcessRunner.Result r = await NamespaceLab.InNamespaceAsync(ns, Limit, "cat", $"/sys/class/net/{tap}/statistics/{counter}");
        Assert.True(r.ExitCode == 0, r.ToString());
        return long.Parse(r.Output.Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task InNamespaceAsync(string ns, params string[] command)
    {
        ProcessRunner.Result r = await NamespaceLab.InNamespaceAsync(ns, Limit, command);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', command)}: {r}");
    }

    private static async Task IpAsync(params string[] args)
    {
        ProcessRunner.Result r = await ProcessRunner.RunAsync("ip", args, timeout: Limit);
        Assert.True(r.ExitCode == 0, $"ip {string.Join(' ', args)}: {r}");
    }
}
