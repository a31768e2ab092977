using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Hosting;

public sealed class VhostUserSwitchPortFactoryTests
{
    [Fact]
    public void DefaultsFollowTheBackendAndTheSwitch()
    {
        VhostUserBackendOptions o = VhostUserSwitchPortFactory.ParseOptions(Port(("socket", "/tmp/x.sock")), queueCount: 2);
        Assert.Equal("/tmp/x.sock", o.SocketPath);
        Assert.Equal(VhostUserMode.Server, o.Mode);
        Assert.Equal(2, o.QueuePairs);
        Assert.True(o.MergeableReceiveBuffers && o.PackedRing && o.IndirectDescriptors && o.EventIndex && o.Offloads);
        Assert.Equal("vm1:", o.PortNamePrefix);
    }

    [Fact]
    public void EverySettingIsRead()
    {
        VhostUserBackendOptions o = VhostUserSwitchPortFactory.ParseOptions(
            Port(("SOCKET", "/run/vm1.sock"), ("mode", " Client "), ("queues", "1"), ("mergeable", "false"), ("packed", "False"), ("indirect", "false"), ("event-index", "false"), ("offloads", "false")),
            queueCount: 1);
        Assert.Equal("/run/vm1.sock", o.SocketPath);
        Assert.Equal(VhostUserMode.Client, o.Mode);
        Assert.False(o.MergeableReceiveBuffers || o.PackedRing || o.IndirectDescriptors || o.EventIndex || o.Offloads);
    }

    [Theory]
    [InlineData(null, null, "Settings:socket")]
    [InlineData("socket", " ", "Settings:socket")]
    [InlineData("mode", "listen", "Settings:mode must be 'server' or 'client', not 'listen'")]
    [InlineData("queues", "0", "Settings:queues must be a whole number from 1 to 64, not '0'")]
    [InlineData("queues", "65", "from 1 to 64")]
    [InlineData("queues", "-1", "not '-1'")]
    [InlineData("queues", "two", "not 'two'")]
    [InlineData("queues", "99999999999999999999", "whole number")]
    [InlineData("queues", "2", "Settings:queues is 2, but the switch runs 1 forwarding thread(s)")]
    [InlineData("mergeable", "yes", "Settings:mergeable must be true or false, not 'yes'")]
    [InlineData("packed", "1", "Settings:packed must be true or false")]
    [InlineData("indirect", "", "Settings:indirect must be true or false")]
    [InlineData("event-index", "on", "Settings:event-index")]
    [InlineData("offloads", "truee", "Settings:offloads")]
    public void BadSettingsFailWithTheirNameAndValue(string? key, string? value, string expected)
    {
        var port = new SwitchPortConfiguration { Name = "vm1", Type = VhostUserSwitchPortFactory.TypeName };
        if (key is not null && key != "socket")
        {
            port.Settings["socket"] = "/tmp/rn-never-bound.sock";
        }

        if (key is not null)
        {
            port.Settings[key] = value!;
        }

        ArgumentException e = Assert.Throws<ArgumentException>(() => new VhostUserSwitchPortFactory().Open(port, queueCount: 1));
        Assert.Contains("vhost-user port 'vm1'", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/rn-never-bound.sock"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("255")]
    [InlineData("many")]
    [InlineData("2000000")]
    public void BadBufferCountsFailBeforeAnythingIsOpened(string buffers)
    {
        string socket = $"/tmp/rn-vhp-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
        SwitchPortConfiguration port = Port(("socket", socket), ("buffers", buffers));
        ArgumentException e = Assert.Throws<ArgumentException>(() => new VhostUserSwitchPortFactory().Open(port, queueCount: 1));
        Assert.Contains($"Settings:buffers must be a whole number from 256 to 1048576, not '{buffers}'", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public void RandomSettingsEitherParseOrFailWithAnArgumentException()
    {
        var random = new Random(20261129);
        string[] keys = ["mode", "queues", "mergeable", "packed", "indirect", "event-index", "offloads"];
        string[] values = ["server", "client", "true", "false", "1", "0", "64", "", " ", "\0", "-", "TRUE", "1e3", "0x10"];
        for (int i = 0; i < 2000; i++)
        {
            SwitchPortConfiguration port = Port(("socket", "/tmp/rn-random.sock"));
            int n = random.Next(1, 4);
            for (int k = 0; k < n; k++)
            {
                port.Settings[keys[random.Next(keys.Length)]] = random.Next(3) == 0 ? new string((char)random.Next(1, 0x2FF), random.Next(0, 4)) : values[random.Next(values.Length)];
            }

            try
            {
                VhostUserBackendOptions o = VhostUserSwitchPortFactory.ParseOptions(port, queueCount: 1);
                Assert.Equal(1, o.QueuePairs);
            }
            catch (ArgumentException e)
            {
                Assert.StartsWith("vhost-user port 'vm1': Settings:", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task OpenServesTheSocketAndDisposingAQueueClosesIt()
    {
        string socket = $"/tmp/rn-vhp-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
        IReadOnlyList<IPacketPort> queues = new VhostUserSwitchPortFactory().Open(Port(("socket", socket), ("queues", "2"), ("buffers", "256")), queueCount: 2);
        try
        {
            Assert.Equal(["vm1:0", "vm1:1"], queues.Select(q => q.Name));
            Assert.All(queues, q => Assert.IsAssignableFrom<IWaitablePort>(q));
            Assert.True(File.Exists(socket));
            using (var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            {
                await client.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            }

            // No frontend running a ring: nothing moves.
            Assert.Equal(0, queues[0].ReceiveBurst(new ReNESENS.DataPlane.Memory.PacketBuffer[4]));
        }
        finally
        {
            foreach (IDisposable d in queues.OfType<IDisposable>())
            {
                d.Dispose();
            }
        }

        using var late = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        Assert.ThrowsAny<System.Net.Sockets.SocketException>(() => late.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket)));
        File.Delete(socket);
    }

    private static SwitchPortConfiguration Port(params (string Key, string Value)[] settings)
    {
        var port = new SwitchPortConfiguration { Name = "vm1", Type = VhostUserSwitchPortFactory.TypeName };
        foreach ((string k, string v) in settings)
        {
            port.Settings[k] = v;
        }

        return port;
    }
}
