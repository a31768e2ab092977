using System.Globalization;
using System.Text.Json;
using ReNESENS.DataPlane.Switching;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.IntegrationTests.Switching;

/// <summary>The switch in this process between TAP ports in two namespaces of this test run, with the kernel, iperf3 and tshark as peers.</summary>
public class TapSwitchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PingCrossesTheSwitchBetweenTwoNamespaces()
    {
        await using NamespaceLab lab = await NamespaceLab.StartAsync();
        ProcessRunner.Result ping = await NamespaceLab.InNamespaceAsync(lab.NamespaceA, Limit, "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.AddressB);
        Assert.True(ping.ExitCode == 0, $"{ping}\n{lab.Describe()}");
        Assert.Contains(" 0% packet loss", ping.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iperf3TcpWithTsoCrossesUnsplitWithoutChecksumErrors()
    {
        await using NamespaceLab lab = await NamespaceLab.StartAsync(offloads: true, mode: ForwardingMode.Poll);
        (long bytes, string report) = await RunIperfAsync(lab, seconds: 3);
        Assert.True(bytes > 10_000_000, report);

        foreach (string ns in new[] { lab.NamespaceA, lab.NamespaceB })
        {
            Assert.Equal(0, await CsumErrorsAsync(ns, "Tcp"));
            Assert.Equal(0, await CsumErrorsAsync(ns, "Udp"));
        }

        string state = lab.Describe();
        foreach (SwitchPort p in lab.Switch.Ports)
        {
            Assert.True(p.GetStatistics().TotalDrops == 0, state);
        }

        Assert.True(lab.PortA.GetDrops(TapPortDrop.BadHeader) == 0 && lab.PortB.GetDrops(TapPortDrop.BadHeader) == 0, state);

        // The data direction came in superframes: on average far larger than one 1514-byte frame.
        Assert.True(lab.PortA.ReceivedBytes / lab.PortA.ReceivedPackets > 1514, state);
    }

    [Fact]
    public async Task TsharkOnTheTapSideSeesWellFormedFramesAndSuperframes()
    {
        await using NamespaceLab lab = await NamespaceLab.StartAsync(offloads: true);
        IReadOnlyList<Frame> frames = await CaptureAsync(lab, lab.NamespaceB, lab.InterfaceB);
        Assert.NotEmpty(frames);
        Assert.DoesNotContain(frames, f => f.Malformed);
        Assert.DoesNotContain(frames, f => f.IpChecksum == "0");
        Assert.Contains(frames, f => f.Icmp && f.IcmpChecksum == "1");
        Assert.DoesNotContain(frames, f => f.Icmp && f.IcmpChecksum != "1");

        // With TSO on, the kernel hands TCP over with a partial checksum (pseudo-header only) and we pass it on so:
        // tshark cannot validate those; it proves that superframes crossed whole instead.
        Assert.Contains(frames, f => f.Tcp && f.Length > 1514);
    }

    [Fact]
    public async Task WithOffloadsOffEveryTcpChecksumOnTheTapSideIsGood()
    {
        await using NamespaceLab lab = await NamespaceLab.StartAsync(offloads: false);
        IReadOnlyList<Frame> frames = await CaptureAsync(lab, lab.NamespaceB, lab.InterfaceB);
        Frame[] tcp = [.. frames.Where(f => f.Tcp)];
        Assert.NotEmpty(tcp);
        Assert.DoesNotContain(frames, f => f.Malformed);
        Assert.All(tcp, f => Assert.Equal("1", f.TcpChecksum));
        Assert.All(tcp, f => Assert.True(f.Length <= 1514, $"frame of {f.Length} bytes without TSO"));
    }

    private static async Task<long> CsumErrorsAsync(string ns, string protocol)
    {
        ProcessRunner.Result snmp = await NamespaceLab.InNamespaceAsync(ns, Limit, "cat", "/proc/net/snmp");
        string[] lines = [.. snmp.Output.Split('\n').Where(l => l.StartsWith(protocol + ":", StringComparison.Ordinal))];
        string[] names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "InCsumErrors")], CultureInfo.InvariantCulture);
    }

    private static async Task<(long Bytes, string Report)> RunIperfAsync(NamespaceLab lab, int seconds)
    {
        Task<ProcessRunner.Result> server = NamespaceLab.InNamespaceAsync(lab.NamespaceB, Limit, "iperf3", "-s", "-1", "-B", lab.AddressB);
        ProcessRunner.Result client = null!;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            await Task.Delay(300);
            client = await NamespaceLab.InNamespaceAsync(lab.NamespaceA, Limit, "iperf3", "-c", lab.AddressB, "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J", "--connect-timeout", "2000");
            if (client.ExitCode == 0 || !client.Output.Contains("refused", StringComparison.OrdinalIgnoreCase))
            {
                break;
            }
        }

        await server;
        string report = $"{client}\n{lab.Describe()}";
        Assert.True(client.ExitCode == 0, report);
        int start = client.Output.IndexOf('{', StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(client.Output[start..]);
        long bytes = json.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64();
        return (bytes, report);
    }

    private static async Task<IReadOnlyList<Frame>> CaptureAsync(NamespaceLab lab, string ns, string iface)
    {
        string file = Path.Combine(Path.GetTempPath(), $"rn-vswt-{Environment.ProcessId}-{iface}.pcapng");
        File.Delete(file);
        try
        {
            // Bounded twice: tshark stops by itself after 120 s, and we stop it (SIGINT, by its own pid) once the traffic is done.
            var info = new System.Diagnostics.ProcessStartInfo("ip", ["netns", "exec", ns, "tshark", "-i", iface, "-a", "duration:120", "-q", "-w", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using (System.Diagnostics.Process capture = System.Diagnostics.Process.Start(info)!)
            {
                try
                {
                    for (int i = 0; i < 300 && !File.Exists(file); i++)
                    {
                        await Task.Delay(100);
                    }

                    await Task.Delay(1000);
                    await NamespaceLab.InNamespaceAsync(lab.NamespaceA, Limit, "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.AddressB);
                    await RunIperfAsync(lab, seconds: 1);
                    await Task.Delay(500);
                    await ProcessRunner.RunAsync("kill", ["-INT", capture.Id.ToString(CultureInfo.InvariantCulture)]);
                    await capture.WaitForExitAsync().WaitAsync(Limit);
                }
                finally
                {
                    if (!capture.HasExited)
                    {
                        capture.Kill(entireProcessTree: true);
                    }
                }
            }

            Assert.True(File.Exists(file));

            // Decoded up to the first 20000 frames (the pings come first, then thousands of the TCP stream's): a
            // second of iperf3 without offloads captures 100k+ frames, whose checksum-validating decode alone could
            // take longer than the limit on a loaded 2-vCPU machine.
            ProcessRunner.Result read = await ProcessRunner.RunAsync(
                "tshark",
                ["-r", file, "-c", "20000", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
                 "-e", "frame.len", "-e", "_ws.malformed", "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "icmp.checksum.status", "-e", "frame.protocols"],
                timeout: Limit);
            Assert.True(read.ExitCode == 0, read.ToString());
            var frames = new List<Frame>();
            foreach (string line in read.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] f = line.Split('|');
                if (f.Length < 6 || !int.TryParse(f[0], CultureInfo.InvariantCulture, out int length))
                {
                    continue;
                }

                frames.Add(new Frame(length, f[1].Length > 0, f[2], f[3], f[4], f[5].Contains(":tcp", StringComparison.Ordinal), f[5].Contains(":ip:icmp", StringComparison.Ordinal)));
            }

            return frames;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed record Frame(int Length, bool Malformed, string IpChecksum, string TcpChecksum, string IcmpChecksum, bool Tcp, bool Icmp);
}
