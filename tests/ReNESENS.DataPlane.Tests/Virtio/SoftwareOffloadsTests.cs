using System.Buffers.Binary;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Virtio;

public sealed class SoftwareOffloadsTests : IDisposable
{
    private readonly BufferPool _big = BufferPool.Create(16, 70_000);
    private readonly BufferPool _small = BufferPool.Create(128, 2048);

    public void Dispose()
    {
        _big.Dispose();
        _small.Dispose();
    }

    [Fact]
    public void TcpV4SegmentsHaveTheirFieldsAtTheKnownOffsets()
    {
        // 5000 bytes at MSS 1448: 1448, 1448, 1448, 656. Offsets: IPv4 at 14, TCP at 34, payload at 66.
        byte[] frame = Superframes.Build(ipv6: false, tcp: true, 5000, tcpFlags: 0x80 | 0x10 | 0x08 | 0x01);
        PacketBuffer p = Superframes.ToPacket(_big, frame);
        p.SetChecksumPartial(34, 16);
        p.SetGso(GsoType.TcpV4, 1448);
        var segments = new PacketBuffer[8];
        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.Segment(p, _small, segments, out int count));
        Assert.Equal(4, count);
        int[] lengths = [1448, 1448, 1448, 656];
        for (int i = 0; i < count; i++)
        {
            byte[] s = segments[i].Data.ToArray();
            Assert.Equal(66 + lengths[i], s.Length);
            Assert.Equal(20 + 32 + lengths[i], BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(16)));
            Assert.Equal((ushort)(0xFFFE + i), BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(18)));
            Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * 1448)), BinaryPrimitives.ReadUInt32BigEndian(s.AsSpan(38)));
            byte flags = s[47];
            Assert.Equal(i == 0, (flags & 0x80) != 0);
            Assert.Equal(i == 3, (flags & 0x01) != 0);
            Assert.Equal(i == 3, (flags & 0x08) != 0);
            Assert.True((flags & 0x10) != 0);
            Assert.Equal(frame.AsSpan(66 + i * 1448, lengths[i]).ToArray(), s.AsSpan(66).ToArray());
            Assert.Equal(frame.AsSpan(0, 14).ToArray(), s.AsSpan(0, 14).ToArray());
            Assert.Equal(ChecksumState.None, segments[i].ChecksumState);
            Assert.Equal(GsoType.None, segments[i].GsoType);
            segments[i].Release();
        }

        p.Release();
    }

    [Fact]
    public void TcpV6AndUdpSegmentsCarryTheirLengthsAtTheKnownOffsets()
    {
        PacketBuffer v6 = Superframes.ToPacket(_big, Superframes.Build(ipv6: true, tcp: true, 3000), chunk: 1001);
        v6.SetChecksumPartial(54, 16);
        v6.SetGso(GsoType.TcpV6, 1400);
        var segments = new PacketBuffer[8];
        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.Segment(v6, _small, segments, out int count));
        Assert.Equal(3, count);
        Assert.Equal(32 + 1400, BinaryPrimitives.ReadUInt16BigEndian(segments[0].Data[18..]));
        Assert.Equal(32 + 200, BinaryPrimitives.ReadUInt16BigEndian(segments[2].Data[18..]));
        ReleaseAll(segments.AsSpan(0, count));
        v6.Release();

        PacketBuffer udp = Superframes.ToPacket(_big, Superframes.Build(ipv6: false, tcp: false, 2500));
        udp.SetChecksumPartial(34, 6);
        udp.SetGso(GsoType.UdpL4, 1000);
        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.Segment(udp, _small, segments, out count));
        Assert.Equal(3, count);
        Assert.Equal(8 + 1000, BinaryPrimitives.ReadUInt16BigEndian(segments[0].Data[38..]));
        Assert.Equal(8 + 500, BinaryPrimitives.ReadUInt16BigEndian(segments[2].Data[38..]));
        Assert.Equal(20 + 8 + 500, BinaryPrimitives.ReadUInt16BigEndian(segments[2].Data[16..]));
        ReleaseAll(segments.AsSpan(0, count));
        udp.Release();
    }

    [Theory]
    [InlineData(13)]
    [InlineData(20)]
    [InlineData(40)]
    [InlineData(60)]
    public void TruncatedHeadersAreMalformedAndNothingIsRented(int length)
    {
        byte[] frame = Superframes.Build(ipv6: false, tcp: true, 100)[..length];
        PacketBuffer p = Superframes.ToPacket(_big, frame);
        p.SetGso(GsoType.TcpV4, 10);
        int before = _small.InUse;
        Assert.Equal(OffloadStatus.Malformed, SoftwareOffloads.Segment(p, _small, new PacketBuffer[64], out int count));
        Assert.Equal(0, count);
        Assert.Equal(before, _small.InUse);
        p.Release();
    }

    [Fact]
    public void MismatchedUnsupportedAndOversizedRequestsAreRefused()
    {
        var output = new PacketBuffer[4];
        PacketBuffer v4 = Superframes.ToPacket(_big, Superframes.Build(ipv6: false, tcp: true, 9000));
        v4.SetGso(GsoType.TcpV6, 1000);
        Assert.Equal(OffloadStatus.Malformed, SoftwareOffloads.Segment(v4, _small, output, out _));
        v4.SetGso(GsoType.Udp, 1000);
        Assert.Equal(OffloadStatus.Unsupported, SoftwareOffloads.PrepareForTransmit(v4, PortOffloads.None, _small, output, out _));
        v4.SetGso(GsoType.TcpV4, 1000);
        Assert.Equal(OffloadStatus.TooManySegments, SoftwareOffloads.Segment(v4, _small, output, out _));
        v4.SetGso(GsoType.TcpV4, 4000);
        Assert.Equal(OffloadStatus.NoBuffer, SoftwareOffloads.Segment(v4, _small, output, out _));
        v4.Release();

        // A UDP datagram asking for TCP segmentation.
        PacketBuffer udp = Superframes.ToPacket(_big, Superframes.Build(ipv6: false, tcp: false, 3000));
        udp.SetGso(GsoType.TcpV4, 1000);
        Assert.Equal(OffloadStatus.Malformed, SoftwareOffloads.Segment(udp, _small, output, out _));
        udp.Release();
        Assert.Equal(0, _small.InUse);
    }

    [Fact]
    public void Ipv6ExtensionHeadersAreCopiedIntoEverySegmentAndCountedInThePayloadLength()
    {
        const int L3 = 14;
        int l4 = Superframes.ChecksumStart(ipv6: true, ipv6Extensions: true);
        PacketBuffer p = Superframes.ToPacket(_big, Superframes.Build(ipv6: true, tcp: true, 3000, ipv6Extensions: true));
        p.SetChecksumPartial(l4, 16);
        p.SetGso(GsoType.TcpV6, 1400);
        var segments = new PacketBuffer[8];
        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.Segment(p, _small, segments, out int count));
        Assert.Equal(3, count);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> d = segments[i].Data;
            int payload = i < 2 ? 1400 : 200;
            Assert.Equal(l4 + 20 + Superframes.TcpOptions + payload, d.Length);
            Assert.Equal(Superframes.Ipv6ExtensionLength + 20 + Superframes.TcpOptions + payload, BinaryPrimitives.ReadUInt16BigEndian(d[(L3 + 4)..]));
            Assert.Equal(0, d[L3 + 6]); // Hop-by-Hop first, as sent.
            Assert.Equal(6, d[L3 + 40 + 24]); // The routing header still names TCP next.
        }

        ReleaseAll(segments.AsSpan(0, count));
        p.Release();
    }

    [Theory]
    [InlineData("fragment", OffloadStatus.Malformed)]
    [InlineData("hop-by-hop not first", OffloadStatus.Malformed)]
    [InlineData("truncated extension", OffloadStatus.Malformed)]
    [InlineData("segments left", OffloadStatus.Unsupported)]
    [InlineData("esp", OffloadStatus.Unsupported)]
    public void Ipv6ExtensionHeadersThatCannotBeSegmentedAreRefusedAndNothingIsRented(string corner, OffloadStatus expected)
    {
        const int Ext = 14 + 40;
        byte[] frame = Superframes.Build(ipv6: true, tcp: true, 3000, ipv6Extensions: true);
        switch (corner)
        {
            case "fragment":
                frame[Ext + 8] = 44; // Destination Options -> Fragment.
                break;
            case "hop-by-hop not first":
                frame[Ext + 8] = 0; // Destination Options -> Hop-by-Hop.
                break;
            case "truncated extension":
                frame[Ext + 25] = 200; // A routing header of 1608 bytes, past the headers.
                break;
            case "segments left":
                frame[Ext + 27] = 1;
                break;
            default:
                frame[Ext + 24] = 50; // Routing -> ESP.
                break;
        }

        PacketBuffer p = Superframes.ToPacket(_big, frame);
        p.SetGso(GsoType.TcpV6, 1400);
        int before = _small.InUse;
        Assert.Equal(expected, SoftwareOffloads.Segment(p, _small, new PacketBuffer[8], out int count));
        Assert.Equal(0, count);
        Assert.Equal(before, _small.InUse);
        Assert.Equal(frame.Length, p.PacketLength); // Nothing changed.
        p.Release();
    }

    [Fact]
    public void PrepareForTransmitKeepsWhatThePortOffloadsAndSegmentsTheRest()
    {
        var output = new PacketBuffer[8];
        PacketBuffer p = Superframes.ToPacket(_big, Superframes.Build(ipv6: false, tcp: true, 3000));
        p.SetChecksumPartial(34, 16);
        p.SetGso(GsoType.TcpV4, 1448);
        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.PrepareForTransmit(p, PortOffloads.Checksum | PortOffloads.TcpV4Segmentation, _small, output, out int count));
        Assert.Equal(1, count);
        Assert.Same(p, output[0]);
        Assert.Equal(ChecksumState.Partial, p.ChecksumState);

        Assert.Equal(OffloadStatus.Done, SoftwareOffloads.PrepareForTransmit(p, PortOffloads.Checksum, _small, output, out count));
        Assert.Equal(3, count);
        Assert.Equal(0, p.ReferenceCount); // released: only the segments are left
        ReleaseAll(output.AsSpan(0, count));
    }

    [Fact]
    public void ChecksumCompletionRefusesFieldsOutsideThePacket()
    {
        PacketBuffer p = Superframes.ToPacket(_big, Superframes.Build(ipv6: false, tcp: false, 10));
        Assert.False(SoftwareOffloads.TryCompleteChecksum(p)); // not partial
        p.SetChecksumPartial(p.PacketLength - 2, 0);
        p.TrimEnd(1);
        Assert.False(SoftwareOffloads.TryCompleteChecksum(p));
        Assert.Equal(ChecksumState.Partial, p.ChecksumState);
        p.Release();
    }

    [Fact]
    public void RandomBytesNeverThrowOrLeak()
    {
        using BufferPool chains = BufferPool.Create(64, 256);
        var random = new Random(1234);
        var output = new PacketBuffer[64];
        for (int i = 0; i < 2000; i++)
        {
            byte[] frame = new byte[random.Next(0, 300)];
            random.NextBytes(frame);
            if (frame.Length > 13 && random.Next(2) == 0)
            {
                frame[12] = 0x08;
                frame[13] = 0;
                if (frame.Length > 14)
                {
                    frame[14] = (byte)(0x40 | random.Next(16));
                }
            }

            PacketBuffer p = Superframes.ToPacket(chains, frame, chunk: random.Next(16, 100));
            p.SetGso((GsoType)random.Next(1, 5), random.Next(1, 200));
            OffloadStatus status = SoftwareOffloads.Segment(p, _small, output, out int count);
            Assert.True(status == OffloadStatus.Done || count == 0);
            ReleaseAll(output.AsSpan(0, count));
            p.Release();
        }

        Assert.Equal(0, _small.InUse);
        Assert.Equal(0, chains.InUse);
    }

    private static void ReleaseAll(Span<PacketBuffer> packets)
    {
        foreach (PacketBuffer p in packets)
        {
            p.Release();
        }
    }
}
