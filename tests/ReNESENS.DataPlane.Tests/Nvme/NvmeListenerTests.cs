using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>Several listeners per target (NVM subsystem ports): each serves every subsystem, each has its discovery entries.</summary>
public sealed class NvmeListenerTests
{
    private const string DiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";

    [Fact]
    public async Task TwoListeners_ServeTheSameNamespaceAndEachHasItsDiscoveryEntry()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(o =>
        {
            o.Listeners.Add(new NvmeListenerOptions { Address = "127.0.0.1", Port = 0 });
            o.Listeners.Add(new NvmeListenerOptions { Address = "::1", Port = 0 });
        });
        IReadOnlyList<IPEndPoint> endPoints = target.Target.LocalEndPoints;
        Assert.Equal(2, endPoints.Count);
        Assert.Equal(IPAddress.Loopback, endPoints[0].Address);
        Assert.Equal(IPAddress.IPv6Loopback, endPoints[1].Address);
        Assert.Equal(endPoints[0], target.Target.LocalEndPoint);

        byte[] data = new byte[8192];
        Random.Shared.NextBytes(data);
        await using (NvmeTcpInitiator v4 = await NvmeTcpInitiator.ConnectAsync(endPoints[0], NvmeTestTarget.Host()))
        {
            await v4.WriteAsync(1, 40, data);
        }

        await using (NvmeTcpInitiator v6 = await NvmeTcpInitiator.ConnectAsync(endPoints[1], NvmeTestTarget.Host()))
        {
            byte[] back = new byte[8192];
            await v6.ReadAsync(1, 40, back);
            Assert.Equal(data, back);
        }

        await using NvmeTcpInitiator discovery = await NvmeTcpInitiator.ConnectAsync(endPoints[1], NvmeTestTarget.Host(nqn: DiscoveryNqn));
        byte[] page = await discovery.GetLogPageAsync(0x70, 3 * 1024);
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(8)));   // NUMREC: one subsystem x two ports
        DiscoveryEntry first = DiscoveryEntry.Read(page, 0);
        DiscoveryEntry second = DiscoveryEntry.Read(page, 1);
        Assert.Equal(new DiscoveryEntry(3, 1, 2, 1, NvmeTestTarget.Nqn, "127.0.0.1", Port(endPoints[0])), first);
        Assert.Equal(new DiscoveryEntry(3, 2, 2, 2, NvmeTestTarget.Nqn, "::1", Port(endPoints[1])), second);
    }

    [Fact]
    public async Task AListenerAddedAndRemovedAtRunTime_ChangesTheDiscoveryLogAndItsGenerationCounter()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start();
        await using NvmeTcpInitiator discovery = await target.ConnectAsync(NvmeTestTarget.Host(nqn: DiscoveryNqn));
        byte[] before = await discovery.GetLogPageAsync(0x70, 1024);
        long generation = BinaryPrimitives.ReadInt64LittleEndian(before);
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian(before.AsSpan(8)));

        IPEndPoint added = target.Target.AddListener(new NvmeListenerOptions { Address = "127.0.0.1", Port = 0 });
        Assert.Equal([target.EndPoint, added], target.Target.LocalEndPoints);
        byte[] page = await discovery.GetLogPageAsync(0x70, 3 * 1024);
        Assert.True(BinaryPrimitives.ReadInt64LittleEndian(page) > generation);
        Assert.Equal(2, BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(8)));
        Assert.Equal(new DiscoveryEntry(3, 1, 2, 2, NvmeTestTarget.Nqn, "127.0.0.1", Port(added)), DiscoveryEntry.Read(page, 1));

        // A host connected through the new port keeps its connection when the port goes away; new hosts are refused.
        await using NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(added, NvmeTestTarget.Host());
        Assert.True(await target.Target.RemoveListenerAsync(added));
        Assert.False(await target.Target.RemoveListenerAsync(added));
        await host.WriteAsync(1, 0, new byte[512]);
        await Assert.ThrowsAnyAsync<SocketException>(() => NvmeTcpInitiator.ConnectAsync(added, NvmeTestTarget.Host()));

        byte[] after = await discovery.GetLogPageAsync(0x70, 2048);
        Assert.True(BinaryPrimitives.ReadInt64LittleEndian(after) > BinaryPrimitives.ReadInt64LittleEndian(page));
        Assert.Equal(1, BinaryPrimitives.ReadInt64LittleEndian(after.AsSpan(8)));
        Assert.Equal(1, DiscoveryEntry.Read(after, 0).PortId);

        // PORTIDs are not reused: the next listener is port 3.
        IPEndPoint third = target.Target.AddListener(new NvmeListenerOptions { Address = "127.0.0.1", Port = 0 });
        byte[] last = await discovery.GetLogPageAsync(0x70, 3 * 1024);
        Assert.Equal(3, DiscoveryEntry.Read(last, 1).PortId);
        Assert.Equal(Port(third), DiscoveryEntry.Read(last, 1).ServiceId);
    }

    [Fact]
    public async Task AListenerThatCannotBind_LeavesNoOtherListenerOpen()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int busy = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var options = new NvmeTcpTargetOptions();
        options.Listeners.Add(new NvmeListenerOptions { Address = "127.0.0.1", Port = 0 });
        options.Listeners.Add(new NvmeListenerOptions { Address = "127.0.0.1", Port = busy });
        await using var target = new NvmeTcpTarget(options);
        Assert.Throws<SocketException>(target.Start);
        Assert.Empty(target.LocalEndPoints);
        Assert.Null(target.LocalEndPoint);
        Assert.Throws<InvalidOperationException>(() => target.AddListener(new NvmeListenerOptions { Port = 0 }));
    }

    [Theory]
    [InlineData("localhost", 4420, "Listeners:1:Address: 'localhost' is not an IPv4 or IPv6 address.")]
    [InlineData("127.0.0.1", 65536, "Listeners:1:Port: 65536 is not 0..65535.")]
    [InlineData("127.0.0.1", -1, "Listeners:1:Port: -1 is not 0..65535.")]
    [InlineData("127.0.0.1", 4421, "Listeners:1: 127.0.0.1:4421 is listed twice.")]
    public void BadListenerOptions_AreRefusedWithTheirConfigurationPath(string address, int port, string expected)
    {
        var options = new NvmeTcpTargetOptions();
        options.Listeners.Add(new NvmeListenerOptions { Address = "127.0.0.1", Port = 4421 });
        options.Listeners.Add(new NvmeListenerOptions { Address = address, Port = port });
        ArgumentException e = Assert.Throws<ArgumentException>(() => new NvmeTcpTarget(options));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static string Port(IPEndPoint endPoint) => endPoint.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The fields of one discovery log page entry at the offsets of NVMe-oF 1.1 figure 33.</summary>
    private readonly record struct DiscoveryEntry(byte TransportType, byte AddressFamily, byte SubType, ushort PortId, string SubsystemNqn, string Address, string ServiceId)
    {
        public static DiscoveryEntry Read(byte[] page, int index)
        {
            ReadOnlySpan<byte> e = page.AsSpan(1024 * (index + 1), 1024);
            Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16LittleEndian(e[6..]));   // CNTLID: dynamic
            Assert.Equal(0, e[768]);                                                 // TSAS SECTYPE: none
            return new DiscoveryEntry(
                e[0],
                e[1],
                e[2],
                BinaryPrimitives.ReadUInt16LittleEndian(e[4..]),
                Encoding.ASCII.GetString(e.Slice(256, 256)).TrimEnd('\0'),
                Encoding.ASCII.GetString(e.Slice(512, 256)).TrimEnd(' '),
                Encoding.ASCII.GetString(e.Slice(32, 32)).TrimEnd(' '));
        }
    }
}
