using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Switching;
using ReNESENS.DataPlane.Tests.Switching;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Hosting;

public sealed class VirtualSwitchHostingTests
{
    // Shared by the ports the dependency-injected factory opens; lives as long as the test process.
    private static readonly BufferPool Pool = BufferPool.Create(64, 2048);

    [Fact]
    public async Task TheHostedSwitchOpensConfiguredPortsThroughTheirFactoryAndPublishesMetrics()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddVirtualSwitch(o =>
        {
            o.Forwarding.SegmentBufferCount = 8;
            o.Ports.Add(new SwitchPortConfiguration { Name = "one", Type = "FAKE" });
            var trunk = new SwitchPortConfiguration { Name = "two", Type = "fake" };
            trunk.Vlan.VlanMode = VlanMode.Trunk;
            trunk.Vlan.NativeVlan = 1;
            o.Ports.Add(trunk);
        });
        services.AddSwitchPortFactory<FakeFactory>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        IHostedService hosted = Assert.Single(provider.GetServices<IHostedService>());
        var service = provider.GetRequiredService<VirtualSwitchService>();
        Assert.Same(service, hosted);

        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SwitchMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> t in tags)
            {
                key += $"|{t.Key}={t.Value}";
            }

            measured[key] = value;
        });
        listener.Start();

        await service.StartAsync(CancellationToken.None);
        try
        {
            VirtualSwitch sw = service.Switch!;
            Assert.Equal(["one", "two"], sw.Ports.Select(p => p.Name));
            Assert.Equal(VlanMode.Trunk, sw.Ports[1].VlanMode);
            FakePort one = ((DisposablePort)sw.Ports[0].Queues[0]).Inner;
            FakePort two = ((DisposablePort)sw.Ports[1].Queues[0]).Inner;
            one.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1)));
            for (int i = 0; i < 200 && two.Sent.Count == 0; i++)
            {
                await Task.Delay(10);
            }

            Assert.Single(two.Sent);
            Assert.Equal(-1, Frames.VlanOf(two.Sent[0])); // native VLAN 1 leaves untagged
            listener.RecordObservableInstruments();
            Assert.Equal(1, measured["renesens.switch.port.packets|port=one|direction=rx"]);
            Assert.Equal(1, measured["renesens.switch.port.packets|port=two|direction=tx"]);
            Assert.Equal(60, measured["renesens.switch.port.bytes|port=two|direction=tx"]);
            Assert.Equal(0, measured["renesens.switch.port.drops|port=one|reason=Runt"]);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }

        Assert.False(service.Switch!.IsRunning);
    }

    [Fact]
    public async Task AnUnknownPortTypeFailsTheStartAndClosesWhatWasOpened()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddVirtualSwitch(o =>
        {
            o.Forwarding.SegmentBufferCount = 8;
            o.Ports.Add(new SwitchPortConfiguration { Name = "one", Type = "fake" });
            o.Ports.Add(new SwitchPortConfiguration { Name = "two", Type = "vxlan" });
        });
        services.AddSwitchPortFactory<FakeFactory>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<VirtualSwitchService>();
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => service.StartAsync(CancellationToken.None));
        Assert.Contains("vxlan", e.Message, StringComparison.Ordinal);
        Assert.Contains("vhost-user", e.Message, StringComparison.Ordinal); // registered by default, listed as known
        Assert.True(FakeFactory.LastOpened!.Disposed);
    }

    [Fact]
    public async Task AVhostUserPortWithoutSocketFailsTheStartClearlyAndClosesWhatWasOpened()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddVirtualSwitch(o =>
        {
            o.Forwarding.SegmentBufferCount = 8;
            o.Ports.Add(new SwitchPortConfiguration { Name = "one", Type = "fake" });
            o.Ports.Add(new SwitchPortConfiguration { Name = "vm1", Type = "Vhost-User" });
        });
        services.AddSwitchPortFactory<FakeFactory>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<VirtualSwitchService>();
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => service.StartAsync(CancellationToken.None));
        Assert.Contains("vhost-user port 'vm1': needs Settings:socket", e.Message, StringComparison.Ordinal);
        Assert.True(FakeFactory.LastOpened!.Disposed);
    }

    private sealed class FakeFactory : ISwitchPortFactory
    {
        public static DisposablePort? LastOpened { get; private set; }

        public string Type => "fake";

        public IReadOnlyList<IPacketPort> Open(SwitchPortConfiguration configuration, int queueCount)
        {
            LastOpened = new DisposablePort(configuration.Name);
            return [LastOpened];
        }
    }

    private sealed class DisposablePort(string name) : IPacketPort, IDisposable
    {
        private readonly FakePort _inner = new(name, Pool);

        public bool Disposed { get; private set; }

        public FakePort Inner => _inner;

        public string Name => _inner.Name;

        public PortOffloads TransmitOffloads => _inner.TransmitOffloads;

        public int ReceiveBurst(Span<PacketBuffer> packets) => _inner.ReceiveBurst(packets);

        public int TransmitBurst(ReadOnlySpan<PacketBuffer> packets) => _inner.TransmitBurst(packets);

        public void Dispose() => Disposed = true;
    }
}
