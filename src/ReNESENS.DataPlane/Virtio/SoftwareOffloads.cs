using System.Buffers.Binary;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// The offloads a port's peer does not do, done in software before the packet goes out: completion of partial
/// L4 checksums (virtio <c>NEEDS_CSUM</c>) and segmentation of TSO (TCP over IPv4/IPv6) and USO (UDP L4)
/// superframes into frames of <see cref="PacketBuffer.GsoSize"/> payload bytes, with IP lengths, IPv4 ids and
/// header checksums, TCP sequence numbers and flags, and L4 checksums of each segment filled in.
/// </summary>
/// <remarks>
/// <para>The superframe's headers are parsed from a private copy (at most <see cref="MaxHeaderLength"/> bytes),
/// every offset and length checked against the packet before use; a bad one returns
/// <see cref="OffloadStatus.Malformed"/> and nothing is changed. Segments follow what Linux's GSO produces:
/// the IPv4 id grows by one per segment, FIN and PSH stay only on the last segment and CWR only on the first.</para>
/// <para>IPv6 superframes may carry Hop-by-Hop, Destination Options and Routing headers (copied into every segment,
/// the payload length covering them); a Routing header with segments left, whose final destination would change the
/// pseudo-header, and AH or ESP are <see cref="OffloadStatus.Unsupported"/>, a Fragment header is
/// <see cref="OffloadStatus.Malformed"/> (a fragment is not a superframe). Not done: UFO (IP fragmentation of one UDP
/// datagram, <see cref="GsoType.Udp"/>, deprecated in Linux and never asked from our TAP ports),
/// <see cref="OffloadStatus.Unsupported"/>.</para>
/// </remarks>
public static class SoftwareOffloads
{
    /// <summary>Most header bytes (Ethernet, VLAN tag, IP, TCP with options) a superframe may have.</summary>
    public const int MaxHeaderLength = 192;

    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const byte Ipv6HopByHop = 0;
    private const byte Ipv6Routing = 43;
    private const byte Ipv6Fragment = 44;
    private const byte Ipv6DestinationOptions = 60;
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;

    /// <summary>
    /// Makes a packet fit a port: segments it when it asks for a segmentation the port lacks, else completes its
    /// partial checksum when the port lacks checksum offload, else leaves it as it is.
    /// </summary>
    /// <param name="packet">The packet (head buffer).</param>
    /// <param name="offloads">What the egress port does itself.</param>
    /// <param name="segmentPool">Where segments are rented.</param>
    /// <param name="output">Receives the packets to send: the packet itself, or its segments.</param>
    /// <param name="count">How many packets <paramref name="output"/> holds.</param>
    /// <returns><see cref="OffloadStatus.Done"/>, or why the packet must be dropped (then the caller still owns it).</returns>
    /// <remarks>When the packet was segmented, it has been released and only the segments are left.</remarks>
    public static OffloadStatus PrepareForTransmit(PacketBuffer packet, PortOffloads offloads, BufferPool segmentPool, Span<PacketBuffer> output, out int count)
    {
        ArgumentNullException.ThrowIfNull(packet);
        count = 0;
        if (output.IsEmpty)
        {
            return OffloadStatus.TooManySegments;
        }

        if (packet.GsoType == GsoType.Udp)
        {
            return OffloadStatus.Unsupported;
        }

        PortOffloads needed = packet.GsoType switch
        {
            GsoType.TcpV4 => PortOffloads.TcpV4Segmentation,
            GsoType.TcpV6 => PortOffloads.TcpV6Segmentation,
            GsoType.UdpL4 => PortOffloads.UdpSegmentation,
            _ => PortOffloads.None,
        };
        if (needed != PortOffloads.None && (offloads & needed) == 0)
        {
            OffloadStatus status = Segment(packet, segmentPool, output, out count);
            if (status == OffloadStatus.Done)
            {
                packet.Release();
            }

            return status;
        }

        if (packet.ChecksumState == ChecksumState.Partial && (offloads & PortOffloads.Checksum) == 0)
        {
            if (!TryCompleteChecksum(packet))
            {
                return OffloadStatus.Malformed;
            }
        }

        output[0] = packet;
        count = 1;
        return OffloadStatus.Done;
    }

    /// <summary>
    /// Completes a partial checksum in place: the one's complement sum from <see cref="PacketBuffer.ChecksumStart"/>
    /// to the end of the packet (the field holding the pseudo-header sum, as virtio asks) is complemented and stored at
    /// <see cref="PacketBuffer.ChecksumStart"/> + <see cref="PacketBuffer.ChecksumOffset"/>; 0 is sent as 0xFFFF.
    /// The packet's state becomes <see cref="ChecksumState.None"/>. Works across chains.
    /// </summary>
    /// <param name="packet">The packet (head buffer).</param>
    /// <returns>False (nothing changed) when the packet holds no partial checksum or the field lies outside it.</returns>
    public static bool TryCompleteChecksum(PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        int start = packet.ChecksumStart;
        int field = start + packet.ChecksumOffset;
        if (packet.ChecksumState != ChecksumState.Partial || field + sizeof(ushort) > packet.PacketLength || (packet.ChecksumOffset & 1) != 0)
        {
            return false;
        }

        ushort checksum = (ushort)~PacketBytes.SumToEnd(packet, start);
        Span<byte> value = stackalloc byte[sizeof(ushort)];
        BinaryPrimitives.WriteUInt16BigEndian(value, checksum == 0 ? (ushort)0xFFFF : checksum);
        PacketBytes.CopyIn(packet, field, value);
        packet.SetChecksumNone();
        return true;
    }

    /// <summary>
    /// Cuts a TSO or USO superframe into segments of at most <see cref="PacketBuffer.GsoSize"/> payload bytes, each a
    /// complete frame with every checksum filled in. The superframe is left as it was (the caller releases it).
    /// </summary>
    /// <param name="packet">The superframe (head buffer) with <see cref="GsoType.TcpV4"/>, <see cref="GsoType.TcpV6"/> or <see cref="GsoType.UdpL4"/>.</param>
    /// <param name="pool">Where segments are rented; its buffers must hold the headers plus one segment's payload.</param>
    /// <param name="segments">Receives the segments, in order; the caller owns them.</param>
    /// <param name="count">How many segments were produced (0 on failure).</param>
    /// <returns><see cref="OffloadStatus.Done"/> or why nothing was produced.</returns>
    public static OffloadStatus Segment(PacketBuffer packet, BufferPool pool, Span<PacketBuffer> segments, out int count)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(pool);
        count = 0;
        Span<byte> headers = stackalloc byte[MaxHeaderLength];
        OffloadStatus parsed = ParseSuperframe(packet, headers, out Layout layout);
        if (parsed != OffloadStatus.Done)
        {
            return parsed;
        }

        int mss = packet.GsoSize;
        int payload = packet.PacketLength - layout.HeaderLength;
        int total = payload == 0 ? 1 : (payload + mss - 1) / mss;
        if (total > segments.Length)
        {
            return OffloadStatus.TooManySegments;
        }

        if (pool.BufferSize - pool.Headroom < layout.HeaderLength + Math.Min(mss, payload))
        {
            return OffloadStatus.NoBuffer;
        }

        ReadOnlySpan<byte> template = headers[..layout.HeaderLength];
        uint sequence = layout.IsTcp ? BinaryPrimitives.ReadUInt32BigEndian(template[(layout.L4 + 4)..]) : 0;
        ushort ipId = layout.IsIpv4 ? BinaryPrimitives.ReadUInt16BigEndian(template[(layout.L3 + 4)..]) : (ushort)0;
        for (int i = 0; i < total; i++)
        {
            if (!pool.TryRent(out PacketBuffer? segment))
            {
                ReleaseAll(segments[..i]);
                return OffloadStatus.NoBuffer;
            }

            int offset = i * mss;
            int length = Math.Min(mss, payload - offset);
            Span<byte> frame = segment.Append(layout.HeaderLength + length);
            template.CopyTo(frame);
            PacketBytes.CopyOut(packet, layout.HeaderLength + offset, frame[layout.HeaderLength..]);
            FinishSegment(frame, layout, (ushort)(ipId + i), sequence + (uint)offset, first: i == 0, last: i == total - 1);
            if (packet.HasVlan)
            {
                segment.SetVlan((ushort)packet.VlanTci);
            }

            segments[i] = segment;
        }

        count = total;
        return OffloadStatus.Done;
    }

    private static OffloadStatus ParseSuperframe(PacketBuffer packet, Span<byte> headers, out Layout layout)
    {
        layout = default;
        int available = Math.Min(packet.PacketLength, headers.Length);
        PacketBytes.CopyOut(packet, 0, headers[..available]);
        ReadOnlySpan<byte> h = headers[..available];
        if (h.Length < 14)
        {
            return OffloadStatus.Malformed;
        }

        int l3 = 14;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(h[12..]);
        if (etherType is EtherTypeVlan or EtherTypeQinQ)
        {
            if (h.Length < 18)
            {
                return OffloadStatus.Malformed;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(h[16..]);
            l3 = 18;
        }

        int l4;
        byte protocol;
        bool ipv4;
        if (etherType == EtherTypeIpv4)
        {
            if (h.Length < l3 + 20 || h[l3] >> 4 != 4)
            {
                return OffloadStatus.Malformed;
            }

            int ihl = (h[l3] & 0xF) * 4;
            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(h[(l3 + 6)..]);
            if (ihl < 20 || h.Length < l3 + ihl || (fragment & 0x3FFF) != 0)
            {
                return OffloadStatus.Malformed;
            }

            protocol = h[l3 + 9];
            l4 = l3 + ihl;
            ipv4 = true;
        }
        else if (etherType == EtherTypeIpv6)
        {
            if (h.Length < l3 + 40 || h[l3] >> 4 != 6)
            {
                return OffloadStatus.Malformed;
            }

            protocol = h[l3 + 6];
            l4 = l3 + 40;
            ipv4 = false;
            OffloadStatus extensions = SkipIpv6Extensions(h, l4, ref protocol, ref l4);
            if (extensions != OffloadStatus.Done)
            {
                return extensions;
            }
        }
        else
        {
            return OffloadStatus.Malformed;
        }

        bool tcp;
        switch (packet.GsoType)
        {
            case GsoType.TcpV4 when ipv4:
            case GsoType.TcpV6 when !ipv4:
                tcp = true;
                break;
            case GsoType.UdpL4:
                tcp = false;
                break;
            case GsoType.TcpV4 or GsoType.TcpV6:
                return OffloadStatus.Malformed;
            default:
                return OffloadStatus.Unsupported;
        }

        if (protocol != (tcp ? ProtocolTcp : ProtocolUdp))
        {
            return ipv4 || protocol is ProtocolTcp or ProtocolUdp ? OffloadStatus.Malformed : OffloadStatus.Unsupported;
        }

        int headerLength;
        if (tcp)
        {
            if (h.Length < l4 + 20)
            {
                return OffloadStatus.Malformed;
            }

            int dataOffset = (h[l4 + 12] >> 4) * 4;
            if (dataOffset < 20 || h.Length < l4 + dataOffset)
            {
                return OffloadStatus.Malformed;
            }

            headerLength = l4 + dataOffset;
        }
        else
        {
            headerLength = l4 + 8;
            if (h.Length < headerLength)
            {
                return OffloadStatus.Malformed;
            }
        }

        if (packet.GsoSize == 0 || packet.PacketLength - l3 > 0xFFFF + (ipv4 ? 0 : 40))
        {
            return OffloadStatus.Malformed;
        }

        layout = new Layout(l3, l4, headerLength, ipv4, tcp);
        return OffloadStatus.Done;
    }

    /// <summary>
    /// Steps over the IPv6 extension headers from <paramref name="at"/> (just past the fixed header) to the upper-layer
    /// header: <paramref name="protocol"/> and <paramref name="l4"/> end on it. Each header's length is checked
    /// against <paramref name="h"/>; every step moves by at least eight bytes, so the walk ends within the copy.
    /// </summary>
    private static OffloadStatus SkipIpv6Extensions(ReadOnlySpan<byte> h, int at, ref byte protocol, ref int l4)
    {
        while (true)
        {
            switch (protocol)
            {
                case Ipv6HopByHop when l4 != at:
                    return OffloadStatus.Malformed; // RFC 8200 4.1: only right after the IPv6 header.
                case Ipv6HopByHop or Ipv6DestinationOptions or Ipv6Routing:
                    if (h.Length < l4 + 8)
                    {
                        return OffloadStatus.Malformed;
                    }

                    if (protocol == Ipv6Routing && h[l4 + 3] != 0)
                    {
                        return OffloadStatus.Unsupported; // Segments left: the pseudo-header's destination is another.
                    }

                    protocol = h[l4];
                    l4 += (h[l4 + 1] + 1) * 8;
                    if (h.Length < l4)
                    {
                        return OffloadStatus.Malformed;
                    }

                    break;
                case Ipv6Fragment:
                    return OffloadStatus.Malformed;
                default:
                    return OffloadStatus.Done;
            }
        }
    }

    private static void FinishSegment(Span<byte> frame, Layout layout, ushort ipId, uint sequence, bool first, bool last)
    {
        int l3Length = frame.Length - layout.L3;
        int l4Length = frame.Length - layout.L4;
        Span<byte> ip = frame[layout.L3..layout.L4];
        ushort pseudo;
        byte protocol = layout.IsTcp ? ProtocolTcp : ProtocolUdp;
        if (layout.IsIpv4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)l3Length);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
            pseudo = InternetChecksum.Sum(ip.Slice(12, 8));
        }
        else
        {
            // The payload length counts the extension headers (between the fixed header and L4) too.
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(l3Length - 40));
            pseudo = InternetChecksum.Sum(ip.Slice(8, 32));
        }

        pseudo = InternetChecksum.Add(pseudo, protocol);
        pseudo = InternetChecksum.Add(pseudo, (ushort)l4Length);
        Span<byte> l4 = frame[layout.L4..];
        int checksumField;
        if (layout.IsTcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4[4..], sequence);
            byte flags = l4[13];
            if (!last)
            {
                flags &= unchecked((byte)~(TcpFin | TcpPsh));
            }

            if (!first)
            {
                flags &= unchecked((byte)~TcpCwr);
            }

            l4[13] = flags;
            checksumField = 16;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4Length);
            checksumField = 6;
        }

        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumField..], 0);
        ushort checksum = (ushort)~InternetChecksum.Add(pseudo, InternetChecksum.Sum(l4));
        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumField..], checksum == 0 ? (ushort)0xFFFF : checksum);
    }

    private static void ReleaseAll(Span<PacketBuffer> packets)
    {
        foreach (PacketBuffer p in packets)
        {
            p.Release();
        }
    }

    private readonly record struct Layout(int L3, int L4, int HeaderLength, bool IsIpv4, bool IsTcp);
}
