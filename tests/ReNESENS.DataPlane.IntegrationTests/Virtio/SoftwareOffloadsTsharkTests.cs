using System.Globalization;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Tests.Virtio;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>Segments and completed checksums written to a pcap and judged by tshark with checksum validation on.</summary>
public sealed class SoftwareOffloadsTsharkTests : IDisposable
{
    private readonly BufferPool _big = BufferPool.Create(64, 70_000);
    private readonly BufferPool _small = BufferPool.Create(256, 2048);

    public void Dispose()
    {
        _big.Dispose();
        _small.Dispose();
    }

    [Theory]
    [InlineData(false, 64000, 1448, -1)]
    [InlineData(true, 64000, 1428, -1)]
    [InlineData(false, 10001, 1000, 42)]
    [InlineData(true, 1, 1448, -1)]
    public async Task TcpSegmentsAreValidForTshark(bool ipv6, int payload, int mss, int vlan)
    {
        const byte Flags = 0x80 | 0x10 | 0x08 | 0x01; // CWR ACK PSH FIN
        const uint Sequence = 0xFFFF_8000;
        PacketBuffer p = Superframes.ToPacket(_big, Superframes.Build(ipv6, tcp: true, payload, Flags, Sequence, vlan), chunk: 4096);
        p.SetChecksumPartial(Superframes.ChecksumStart(ipv6, vlan), 16);
        p.SetGso(ipv6 ? GsoType.TcpV6 : GsoType.TcpV4, mss);
        List<byte[]> frames = SegmentAll(p);
        int expected = (payload + mss - 1) / mss;
        Assert.Equal(expected, frames.Count);

        string[][] rows = await TsharkAsync(frames, "ip.checksum.status", "tcp.checksum.status", "tcp.seq_raw", "tcp.len", "tcp.flags.fin", "tcp.flags.push", "tcp.flags.cwr", "ip.id", "_ws.malformed", "ipv6.plen");
        Assert.Equal(expected, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            string[] r = rows[i];
            bool last = i == rows.Length - 1;
            Assert.Equal(ipv6 ? string.Empty : "1", r[0]);
            Assert.Equal("1", r[1]);
            Assert.Equal(unchecked(Sequence + (uint)(i * mss)).ToString(CultureInfo.InvariantCulture), r[2]);
            Assert.Equal((last ? payload - (i * mss) : mss).ToString(CultureInfo.InvariantCulture), r[3]);
            Assert.Equal(last ? "1" : "0", Bool(r[4]));
            Assert.Equal(last ? "1" : "0", Bool(r[5]));
            Assert.Equal(i == 0 ? "1" : "0", Bool(r[6]));
            if (!ipv6)
            {
                Assert.Equal("0x" + ((ushort)(0xFFFE + i)).ToString("x4", CultureInfo.InvariantCulture), r[7]);
            }

            Assert.Equal(string.Empty, r[8]);
        }
    }

    [Fact]
    public async Task Ipv6TcpSegmentsWithExtensionHeadersAreValidForTshark()
    {
        const int Payload = 10_000, Mss = 1400;
        PacketBuffer p = Superframes.ToPacket(_big, Superframes.Build(ipv6: true, tcp: true, Payload, ipv6Extensions: true), chunk: 3000);
        p.SetChecksumPartial(Superframes.ChecksumStart(ipv6: true, ipv6Extensions: true), 16);
        p.SetGso(GsoType.TcpV6, Mss);
        List<byte[]> frames = SegmentAll(p);
        Assert.Equal(8, frames.Count);

        // tshark walks Hop-by-Hop, Destination Options and the segment routing header to TCP, and checks its checksum.
        string[][] rows = await TsharkAsync(frames, "tcp.checksum.status", "tcp.len", "ipv6.plen", "ipv6.routing.type", "_ws.malformed");
        Assert.Equal(8, rows.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            int payload = i < 7 ? Mss : Payload - (7 * Mss);
            Assert.Equal("1", rows[i][0]);
            Assert.Equal(payload.ToString(CultureInfo.InvariantCulture), rows[i][1]);
            Assert.Equal((Superframes.Ipv6ExtensionLength + 20 + Superframes.TcpOptions + payload).ToString(CultureInfo.InvariantCulture), rows[i][2]);
            Assert.Equal("4", rows[i][3]);
            Assert.Equal(string.Empty, rows[i][4]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpSegmentsAreValidForTshark(bool ipv6)
    {
        PacketBuffer p = Superframes.ToPacket(_big, Superframes.Build(ipv6, tcp: false, 20_000));
        p.SetChecksumPartial(Superframes.ChecksumStart(ipv6), 6);
        p.SetGso(GsoType.UdpL4, 1472);
        List<byte[]> frames = SegmentAll(p);
        string[][] rows = await TsharkAsync(frames, "udp.checksum.status", "udp.length", "_ws.malformed");
        Assert.Equal(14, rows.Length);
        Assert.All(rows, r => Assert.Equal("1", r[0]));
        Assert.Equal("1480", rows[0][1]);
        Assert.Equal((8 + 20_000 - (13 * 1472)).ToString(CultureInfo.InvariantCulture), rows[13][1]);
        Assert.All(rows, r => Assert.Equal(string.Empty, r[2]));
    }

    [Theory]
    [InlineData(false, true, int.MaxValue)]
    [InlineData(true, true, 333)]
    [InlineData(false, false, 77)]
    [InlineData(true, false, int.MaxValue)]
    public async Task CompletedChecksumsAreValidForTshark(bool ipv6, bool tcp, int chunk)
    {
        var frames = new List<byte[]>();
        foreach (int payload in new[] { 0, 1, 2, 3, 1001, 1400 })
        {
            byte[] frame = Superframes.Build(ipv6, tcp, payload);
            PacketBuffer p = Superframes.ToPacket(_small, frame, chunk);
            p.SetChecksumPartial(Superframes.ChecksumStart(ipv6), tcp ? 16 : 6);
            Assert.True(SoftwareOffloads.TryCompleteChecksum(p));
            Assert.Equal(ChecksumState.None, p.ChecksumState);
            var copy = new byte[p.PacketLength];
            p.CopyTo(copy);
            p.Release();
            frames.Add(copy);
        }

        string[][] rows = await TsharkAsync(frames, tcp ? "tcp.checksum.status" : "udp.checksum.status", "_ws.malformed");
        Assert.Equal(frames.Count, rows.Length);
        Assert.All(rows, r => Assert.Equal("1", r[0]));
        Assert.All(rows, r => Assert.Equal(string.Empty, r[1]));
    }

    private static string Bool(string tsharkFlag) => tsharkFlag is "True" or "1" ? "1" : "0";

    private static async Task<string[][]> TsharkAsync(List<byte[]> frames, params string[] fields)
    {
        string file = Path.Combine(Path.GetTempPath(), $"rn-vswitch-offloads-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        try
        {
            PcapFile.Write(file, frames);
            var args = new List<string>
            {
                "-r", file, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                "-o", "tcp.analyze_sequence_numbers:FALSE", "-T", "fields", "-E", "separator=|",
            };
            foreach (string f in fields)
            {
                args.Add("-e");
                args.Add(f);
            }

            ProcessRunner.Result r = await ProcessRunner.RunAsync("tshark", args, timeout: TimeSpan.FromSeconds(60));
            Assert.True(r.ExitCode == 0, r.ToString());
            return [.. r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains('|', StringComparison.Ordinal)).Select(l => l.Split('|'))];
        }
        finally
        {
            File.Delete(file);
        }
    }

    private List<byte[]> SegmentAll(PacketBuffer p)
    {
        var segments = new PacketBuffer[64];
        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.PrepareForTransmit(p, PortOffloads.None, _small, segments, out int count));
        var frames = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var copy = new byte[segments[i].PacketLength];
            segments[i].CopyTo(copy);
            segments[i].Release();
            frames.Add(copy);
        }

        return frames;
    }
}
