using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.IntegrationTests.Virtio;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Switching;
using ReNESENS.DataPlane.Virtio;
using Xunit.Abstractions;

namespace ReNESENS.DataPlane.IntegrationTests.Switching;

/// <summary>
/// A switch in event mode between two vhost-user ports, both served to one <c>dpdk-testpmd</c> with two virtio-user
/// ports: while testpmd sends nothing the forwarding thread sleeps on the kick eventfds (the process burns almost no
/// CPU), and when testpmd sends, it kicks because the backend asked for it, the thread wakes, and every frame crosses.
/// </summary>
[Collection("dpdk")]
public sealed class VhostUserEventModeTests(ITestOutputHelper output)
{
    private const int PmdCpu = 1;
    private const int Bursts = 4;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheSwitchSleepsUntilTestPmdKicksThenForwardsEveryFrame(bool packed)
    {
        string socketA = $"/tmp/rn-vev-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
        string socketB = $"/tmp/rn-vev-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
        using BufferPool pool = BufferPool.Create(2048, 2048, PageKind.Small);
        using var a = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socketA, PackedRing = packed, PortNamePrefix = "a" }, pool);
        using var b = new VhostUserBackend(new VhostUserBackendOptions { SocketPath = socketB, PackedRing = packed, PortNamePrefix = "b" }, pool);
        a.Start();
        b.Start();
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { Mode = ForwardingMode.Event, SegmentBufferCount = 64 });
        sw.AddPort(a.Ports[0], null);
        sw.AddPort(b.Ports[0], null);
        sw.Start();
        try
        {
            string vq = packed ? "packed_vq=1" : "packed_vq=0";
            await using TestPmd pmd = await TestPmd.StartAsync(
                $"net_virtio_user0,path={socketA},queues=1,{vq},mac=02:76:65:76:00:01", PmdCpu, 1, "rxonly",
                secondVdev: $"net_virtio_user1,path={socketB},queues=1,{vq},mac=02:76:65:76:00:02");
            await pmd.SendAsync("start");
            await WaitUntilAsync(() => a.Ports[0].IsRunning && b.Ports[0].IsRunning, "both rings running");

            // Idle: testpmd only polls its receive queues, so the forwarding thread must be asleep in poll(2).
            await Task.Delay(300);
            long ticks0 = ForwarderTicks();
            var clock = Stopwatch.StartNew();
            await Task.Delay(1000);
            double idleShare = (ForwarderTicks() - ticks0) / (clock.Elapsed.TotalSeconds * TicksPerSecond);
            output.WriteLine($"forwarding thread's CPU share while idle: {idleShare:P1}");
            Assert.True(idleShare < 0.2, $"the forwarding thread used {idleShare:P0} of a CPU while idle: it did not sleep");
            long wakeupsBefore = a.Ports[0].GetStatistics().Wakeups + b.Ports[0].GetStatistics().Wakeups;

            // testpmd sends Bursts x 32 frames on each port (to a MAC nobody has: flooded to the other port).
            await pmd.SendAsync("stop");
            await pmd.SendAsync($"start tx_first {Bursts}");
            (TestPmd.PortStats p0, TestPmd.PortStats p1) = await SettleAsync(pmd);
            await pmd.SendAsync("stop");
            await pmd.QuitAsync();

            VhostUserPortStatistics sa = a.Ports[0].GetStatistics();
            VhostUserPortStatistics sb = b.Ports[0].GetStatistics();
            string state = $"testpmd port 0 tx {p0.TxPackets} rx {p0.RxPackets}, port 1 tx {p1.TxPackets} rx {p1.RxPackets}; backend a {sa}; backend b {sb}";
            output.WriteLine(state);
            Assert.True(p0.TxPackets > 0 && p1.TxPackets > 0, state);
            Assert.True(p0.TxPackets == p1.RxPackets && p1.TxPackets == p0.RxPackets, state);
            Assert.True(sa.ReceivedPackets == p0.TxPackets && sb.TransmittedPackets == p0.TxPackets, state);
            Assert.True(sb.ReceivedPackets == p1.TxPackets && sa.TransmittedPackets == p1.TxPackets, state);
            Assert.True(sa.Wakeups + sb.Wakeups > wakeupsBefore, "no wait ended on a kick: " + state);
            Assert.True(sw.Ports.All(p => p.GetStatistics().TotalDrops == 0), state);
        }
        finally
        {
            sw.Stop();
        }
    }

    /// <summary>Reads both ports' counters until the transmitted and received counts stay the same for 300 ms (bounded).</summary>
    private static async Task<(TestPmd.PortStats, TestPmd.PortStats)> SettleAsync(TestPmd pmd)
    {
        var clock = Stopwatch.StartNew();
        (TestPmd.PortStats, TestPmd.PortStats) last = (await pmd.ShowPortStatsAsync(0), await pmd.ShowPortStatsAsync(1));
        while (clock.Elapsed < Limit)
        {
            await Task.Delay(300);
            (TestPmd.PortStats, TestPmd.PortStats) now = (await pmd.ShowPortStatsAsync(0), await pmd.ShowPortStatsAsync(1));
            if (now.Item1.TxPackets > 0 && now.Item2.TxPackets > 0 && Same(now.Item1, last.Item1) && Same(now.Item2, last.Item2))
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    /// <summary>Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux x86-64).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>User plus system CPU ticks of the switch's forwarding thread (<c>vswitch-0</c>), from /proc.</summary>
    private static long ForwarderTicks()
    {
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).Trim() == "vswitch-0")
            {
                // Fields after the parenthesised name: state is field 3, utime 14 and stime 15 (proc(5)).
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no vswitch-0 thread");
    }

    private static bool Same(TestPmd.PortStats x, TestPmd.PortStats y) => x.TxPackets == y.TxPackets && x.RxPackets == y.RxPackets;

    private static async Task WaitUntilAsync(Func<bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < Limit, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}
