using System.Globalization;
using System.Text;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Switching;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.IntegrationTests.Switching;

/// <summary>
/// Two network namespaces of this test run (<c>rn-vswt-PID-N-a/b</c>), each holding one TAP port of an in-process
/// switch, addressed 10.78.N.1/24 and 10.78.N.2/24. Everything is removed on dispose, also after a failed start.
/// </summary>
internal sealed class NamespaceLab : IAsyncDisposable
{
    private static int _next;
    private readonly List<string> _namespaces = [];
    private readonly List<TapPort> _ports = [];
    private BufferPool? _pool;

    private NamespaceLab(int n)
    {
        string id = $"{Environment.ProcessId % 100000}-{n}";
        NamespaceA = $"rn-vswt-{id}-a";
        NamespaceB = $"rn-vswt-{id}-b";
        InterfaceA = $"vt{Environment.ProcessId % 100000}x{n}a";
        InterfaceB = $"vt{Environment.ProcessId % 100000}x{n}b";
        AddressA = $"10.78.{n % 250}.1";
        AddressB = $"10.78.{n % 250}.2";
    }

    internal string NamespaceA { get; }

    internal string NamespaceB { get; }

    internal string InterfaceA { get; }

    internal string InterfaceB { get; }

    internal string AddressA { get; }

    internal string AddressB { get; }

    internal VirtualSwitch Switch { get; private set; } = null!;

    internal TapPort PortA => _ports[0];

    internal TapPort PortB => _ports[1];

    internal static async Task<NamespaceLab> StartAsync(bool offloads = true, ForwardingMode mode = ForwardingMode.Event)
    {
        var lab = new NamespaceLab(Interlocked.Increment(ref _next));
        try
        {
            await lab.SetUpAsync(offloads, mode);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    internal static async Task<ProcessRunner.Result> InNamespaceAsync(string ns, TimeSpan timeout, params string[] command) =>
        await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, .. command], timeout: timeout);

    internal string Describe()
    {
        var s = new StringBuilder();
        foreach (SwitchPort p in Switch.Ports)
        {
            SwitchPortStatistics st = p.GetStatistics();
            s.Append(CultureInfo.InvariantCulture, $"{p.Name}: rx {st.ReceivedPackets}/{st.ReceivedBytes} tx {st.TransmittedPackets}/{st.TransmittedBytes} drops");
            foreach (SwitchDropReason r in Enum.GetValues<SwitchDropReason>())
            {
                s.Append(CultureInfo.InvariantCulture, $" {r}={st.GetDrops(r)}");
            }

            s.AppendLine();
        }

        foreach (TapPort t in _ports)
        {
            s.Append(CultureInfo.InvariantCulture, $"{t.Name}: kernel rx {t.ReceivedPackets} tx {t.TransmittedPackets}");
            foreach (TapPortDrop r in Enum.GetValues<TapPortDrop>())
            {
                s.Append(CultureInfo.InvariantCulture, $" {r}={t.GetDrops(r)}");
            }

            s.AppendLine();
        }

        return s.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        Switch?.Dispose();
        foreach (TapPort p in _ports)
        {
            p.Dispose();
        }

        foreach (string ns in _namespaces)
        {
            await ProcessRunner.RunAsync("ip", ["netns", "del", ns], timeout: TimeSpan.FromSeconds(20));
        }

        _pool?.Dispose();
    }

    private static async Task IpAsync(params string[] args)
    {
        ProcessRunner.Result r = await ProcessRunner.RunAsync("ip", args, timeout: TimeSpan.FromSeconds(20));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {r}");
        }
    }

    private async Task SetUpAsync(bool offloads, ForwardingMode mode)
    {
        _pool = BufferPool.Create(512, TapPort.SuperframeBufferSize);
        var options = new TapPortOptions { EnableOffloads = offloads };
        _ports.Add(TapPort.Open(InterfaceA, _pool, options));
        _ports.Add(TapPort.Open(InterfaceB, _pool, options));
        Switch = new VirtualSwitch(new VirtualSwitchOptions { Mode = mode, SegmentBufferCount = 256 });
        Switch.AddPort(PortA, null);
        Switch.AddPort(PortB, null);
        Switch.Start();
        foreach ((string ns, string iface, string address) in new[] { (NamespaceA, InterfaceA, AddressA), (NamespaceB, InterfaceB, AddressB) })
        {
            await IpAsync("netns", "add", ns);
            _namespaces.Add(ns);
            await IpAsync("link", "set", iface, "netns", ns);
            await IpAsync("-n", ns, "link", "set", "lo", "up");
            await IpAsync("-n", ns, "addr", "add", $"{address}/24", "dev", iface);
            await IpAsync("-n", ns, "link", "set", iface, "up");
        }
    }
}
