using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Switching;

namespace ReNESENS.DataPlane.Tests.Switching;

public sealed class VirtualSwitchTests : IDisposable
{
    private readonly BufferPool _pool = BufferPool.Create(256, 2048);
    private long _now = 1_000;

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void UnknownUnicastFloodsThenTheLearnedAddressGoesToOnePort()
    {
        using VirtualSwitch sw = NewSwitch(out FakePort a, out FakePort b, out FakePort c);
        a.Inject(Frames.Build(Frames.Mac(2), Frames.Mac(1)));
        sw.PollOnce();
        Assert.Single(b.Sent);
        Assert.Single(c.Sent);
        Assert.Empty(a.Sent);

        // Mac 2 answers from port b: learned, and the answer goes to a only.
        b.Inject(Frames.Build(Frames.Mac(1), Frames.Mac(2)));
        sw.PollOnce();
        Assert.Single(a.Sent);
        Assert.Single(c.Sent);

        a.Inject(Frames.Build(Frames.Mac(2), Frames.Mac(1)));
        sw.PollOnce();
        Assert.Equal(2, b.Sent.Count);
        Assert.Single(c.Sent);
        Assert.Equal(Frames.Build(Frames.Mac(2), Frames.Mac(1)), b.Sent[1]);
        Assert.Equal(2, sw.MacTable.Count);
    }

    [Fact]
    public void BroadcastAndMulticastFloodToEveryOtherPort()
    {
        using VirtualSwitch sw = NewSwitch(out FakePort a, out FakePort b, out FakePort c);
        sw.MacTable.Learn(Frames.Mac(9), 1, 1);
        a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1)));
        a.Inject(Frames.Build([0x01, 0x00, 0x5E, 0, 0, 1], Frames.Mac(1)));
        sw.PollOnce();
        Assert.Equal(2, b.Sent.Count);
        Assert.Equal(2, c.Sent.Count);
        Assert.Empty(a.Sent);
        Assert.Equal(2, sw.Ports[0].GetStatistics().ReceivedPackets);
        Assert.Equal(2, sw.Ports[2].GetStatistics().TransmittedPackets);
    }

    [Fact]
    public void EntriesAgeOutAndTheDestinationIsFloodedAgain()
    {
        using VirtualSwitch sw = NewSwitch(out FakePort a, out FakePort b, out FakePort c, aging: TimeSpan.FromSeconds(10));
        b.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(2)));
        sw.PollOnce();
        Assert.True(sw.MacTable.TryLookup(Frames.Mac(2), 1, out int port));
        Assert.Equal(1, port);

        _now += 9_999;
        a.Inject(Frames.Build(Frames.Mac(2), Frames.Mac(1)));
        sw.PollOnce();
        Assert.Single(b.Sent);
        Assert.Single(c.Sent); // the broadcast only

        _now += 1;
        Assert.False(sw.MacTable.TryLookup(Frames.Mac(2), 1, out _));
        a.Inject(Frames.Build(Frames.Mac(2), Frames.Mac(1)));
        sw.PollOnce();
        Assert.Equal(2, b.Sent.Count);
        Assert.Equal(2, c.Sent.Count);
    }

    [Fact]
    public void AStationThatMovesIsLearnedOnItsNewPort()
    {
        using VirtualSwitch sw = NewSwitch(out FakePort a, out FakePort b, out FakePort c);
        a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(5)));
        sw.PollOnce();
        c.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(5)));
        sw.PollOnce();
        Assert.True(sw.MacTable.TryLookup(Frames.Mac(5), 1, out int port));
        Assert.Equal(2, port);
        Assert.Equal(1, sw.MacTable.Count);
    }

    [Fact]
    public void VlansAreIsolatedBetweenAccessPorts()
    {
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { SegmentBufferCount = 8 }, clock: () => _now);
        var a = new FakePort("a", _pool);
        var b = new FakePort("b", _pool);
        var c = new FakePort("c", _pool);
        sw.AddPort(a, new SwitchPortOptions { AccessVlan = 10 });
        sw.AddPort(b, new SwitchPortOptions { AccessVlan = 10 });
        sw.AddPort(c, new SwitchPortOptions { AccessVlan = 20 });
        a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1)));
        c.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(3)));
        sw.PollOnce();
        Assert.Single(b.Sent);
        Assert.Equal(Frames.Mac(1), b.Sent[0][6..12]);
        Assert.Empty(c.Sent);
        Assert.Empty(a.Sent);

        // The same MAC is a different entry per VLAN.
        Assert.True(sw.MacTable.TryLookup(Frames.Mac(1), 10, out _));
        Assert.False(sw.MacTable.TryLookup(Frames.Mac(1), 20, out _));
    }

    [Fact]
    public void TrunkPortsStripAndInsertTagsAndRefuseOtherVlans()
    {
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { SegmentBufferCount = 8 }, clock: () => _now);
        var access = new FakePort("access", _pool);
        var trunk = new FakePort("trunk", _pool);
        var other = new FakePort("other", _pool);
        sw.AddPort(access, new SwitchPortOptions { AccessVlan = 10 });
        var trunkOptions = new SwitchPortOptions { VlanMode = VlanMode.Trunk, NativeVlan = 99 };
        trunkOptions.AllowedVlans.Add(10);
        trunkOptions.AllowedVlans.Add(20);
        sw.AddPort(trunk, trunkOptions);
        sw.AddPort(other, new SwitchPortOptions { AccessVlan = 99 });

        access.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1)));
        sw.PollOnce();
        Assert.Single(trunk.Sent);
        Assert.Equal(10, Frames.VlanOf(trunk.Sent[0]));
        Assert.Equal(Frames.Build(Frames.Broadcast, Frames.Mac(1), vlan: 10), trunk.Sent[0]);

        trunk.Inject(Frames.Build(Frames.Mac(1), Frames.Mac(2), vlan: 10));
        trunk.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(3), vlan: 30)); // not allowed
        trunk.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(4))); // untagged: native VLAN 99
        sw.PollOnce();
        Assert.Single(access.Sent);
        Assert.Equal(Frames.Build(Frames.Mac(1), Frames.Mac(2)), access.Sent[0]);
        Assert.Single(other.Sent);
        Assert.Equal(-1, Frames.VlanOf(other.Sent[0]));
        Assert.Equal(1, sw.Ports[1].GetStatistics().GetDrops(SwitchDropReason.VlanNotAllowed));

        // A tagged frame on an access port is refused.
        access.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1), vlan: 10));
        sw.PollOnce();
        Assert.Equal(1, sw.Ports[0].GetStatistics().GetDrops(SwitchDropReason.VlanNotAllowed));
    }

    [Fact]
    public void MalformedFramesAreDroppedAndCounted()
    {
        using VirtualSwitch sw = NewSwitch(out FakePort a, out FakePort b, out FakePort c);
        a.Inject(new byte[13]);
        a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1))[..14].Concat(new byte[] { 0x81, 0x00, 0x00 }).ToArray()[..14]);
        byte[] cutTag = Frames.Build(Frames.Broadcast, Frames.Mac(1), vlan: 5)[..16];
        a.Inject(cutTag);
        a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1), vlan: 4095));
        a.Inject(Frames.Build(Frames.Broadcast, [0x01, 0, 0, 0, 0, 1]));
        sw.PollOnce();
        SwitchPortStatistics st = sw.Ports[0].GetStatistics();
        Assert.Equal(1, st.GetDrops(SwitchDropReason.Runt));
        Assert.Equal(2, st.GetDrops(SwitchDropReason.BadVlanTag));
        Assert.Equal(1, st.GetDrops(SwitchDropReason.BadSourceAddress));
        // The 14-byte frame with a 0x88B5 type is well-formed and flooded.
        Assert.Single(b.Sent);
        Assert.Equal(_pool.Capacity, _pool.Available);
    }

    [Fact]
    public void AFullTableCountsLearnFailuresAndStillForwards()
    {
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { MacTableCapacity = 8, SegmentBufferCount = 8 }, clock: () => _now);
        var a = new FakePort("a", _pool);
        var b = new FakePort("b", _pool);
        sw.AddPort(a, null);
        sw.AddPort(b, null);
        for (int i = 0; i < 40; i++)
        {
            a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(100 + i)));
        }

        sw.PollOnce();
        sw.PollOnce();
        Assert.Equal(40, b.Sent.Count);
        Assert.Equal(8, sw.MacTable.Count);
        Assert.Equal(32, sw.MacTable.LearnFailures);
    }

    [Fact]
    public void APortThatTakesNothingCountsTransmitDropsAndReleasesTheBuffers()
    {
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { SegmentBufferCount = 8 }, clock: () => _now);
        var a = new FakePort("a", _pool);
        var full = new FakePort("full", _pool, transmitLimit: 0);
        sw.AddPort(a, null);
        sw.AddPort(full, null);
        for (int i = 0; i < 5; i++)
        {
            a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1)));
        }

        sw.PollOnce();
        Assert.Equal(5, sw.Ports[1].GetStatistics().GetDrops(SwitchDropReason.TransmitFull));
        Assert.Equal(_pool.Capacity, _pool.Available);
    }

    [Fact]
    public void PortsNeedOneQueuePerThreadAndValidVlans()
    {
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { Workers = 2, SegmentBufferCount = 8 });
        var a = new FakePort("a", _pool);
        Assert.Throws<ArgumentException>(() => sw.AddPort(a, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => sw.AddPort("x", [a, a], new SwitchPortOptions { AccessVlan = 4095 }));
    }

    [Fact]
    public void EventModeForwardsBetweenPortsThatCannotBeWaitedOnByPolling()
    {
        // FakePort is no IWaitablePort: the forwarding thread must busy-poll it.
        using var sw = new VirtualSwitch(new VirtualSwitchOptions { Mode = ForwardingMode.Event, SegmentBufferCount = 8 });
        var a = new FakePort("a", _pool);
        var b = new FakePort("b", _pool);
        sw.AddPort(a, null);
        sw.AddPort(b, null);
        const int count = 40;
        for (int i = 0; i < count; i++)
        {
            a.Inject(Frames.Build(Frames.Broadcast, Frames.Mac(1)));
        }

        sw.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Ports[1].GetStatistics().TransmittedPackets < count && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }

        sw.Stop();
        Assert.Equal(count, b.Sent.Count);
        Assert.Equal(count, sw.Ports[0].GetStatistics().ReceivedPackets);
    }

    private VirtualSwitch NewSwitch(out FakePort a, out FakePort b, out FakePort c, TimeSpan? aging = null)
    {
        var sw = new VirtualSwitch(new VirtualSwitchOptions { AgingTime = aging ?? TimeSpan.FromSeconds(300), SegmentBufferCount = 8 }, clock: () => _now);
        a = new FakePort("a", _pool);
        b = new FakePort("b", _pool);
        c = new FakePort("c", _pool);
        sw.AddPort(a, null);
        sw.AddPort(b, null);
        sw.AddPort(c, null);
        return sw;
    }
}
