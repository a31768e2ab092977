using System.Buffers.Binary;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// The virtio-net packet header (VIRTIO 1.2 section 5.1.6, <c>struct virtio_net_hdr</c> with
/// <c>num_buffers</c>): checksum and segmentation offloads of one packet, in little-endian byte order.
/// The same header prefixes frames on a TAP device opened with <c>IFF_VNET_HDR</c>.
/// </summary>
/// <remarks>
/// The header usually arrives in memory that a guest or the kernel can still change: <see cref="Read"/>
/// copies it once, and every check (<see cref="TryApplyTo"/>) uses only that copy.
/// </remarks>
public readonly record struct VirtioNetHeader
{
    /// <summary>Size of the header with <c>num_buffers</c> (VIRTIO 1.x, or legacy with mergeable buffers).</summary>
    public const int Size = 12;

    /// <summary>Size of the legacy header without <c>num_buffers</c>.</summary>
    public const int LegacySize = 10;

    /// <summary><c>VIRTIO_NET_HDR_F_NEEDS_CSUM</c>: the L4 checksum from <see cref="ChecksumStart"/> to the end is still to be stored.</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary><c>VIRTIO_NET_HDR_F_DATA_VALID</c>: the checksums were verified.</summary>
    public const byte FlagDataValid = 2;

    /// <summary><c>VIRTIO_NET_HDR_F_RSC_INFO</c>: coalescing information (receive side only).</summary>
    public const byte FlagRscInfo = 4;

    /// <summary><c>VIRTIO_NET_HDR_GSO_NONE</c>.</summary>
    public const byte GsoNone = 0;

    /// <summary><c>VIRTIO_NET_HDR_GSO_TCPV4</c>.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary><c>VIRTIO_NET_HDR_GSO_UDP</c> (UFO).</summary>
    public const byte GsoUdp = 3;

    /// <summary><c>VIRTIO_NET_HDR_GSO_TCPV6</c>.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary><c>VIRTIO_NET_HDR_GSO_UDP_L4</c> (USO).</summary>
    public const byte GsoUdpL4 = 5;

    /// <summary><c>VIRTIO_NET_HDR_GSO_ECN</c>: the TCP segments carry the CWR flag only on the first one.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>Offload flags (<see cref="FlagNeedsChecksum"/>, <see cref="FlagDataValid"/>, <see cref="FlagRscInfo"/>).</summary>
    public byte Flags { get; init; }

    /// <summary>Segmentation type (<c>GSO_*</c>), possibly with <see cref="GsoEcn"/>.</summary>
    public byte GsoType { get; init; }

    /// <summary>Length of the headers before the payload (a hint: receivers recompute it).</summary>
    public ushort HeaderLength { get; init; }

    /// <summary>Payload bytes per segment when <see cref="GsoType"/> is not <see cref="GsoNone"/>.</summary>
    public ushort GsoSize { get; init; }

    /// <summary>Offset from the start of the frame where checksumming starts.</summary>
    public ushort ChecksumStart { get; init; }

    /// <summary>Offset after <see cref="ChecksumStart"/> where the 16-bit checksum is stored.</summary>
    public ushort ChecksumOffset { get; init; }

    /// <summary>Number of merged receive buffers the packet spans (mergeable receive buffers), else 0 or 1.</summary>
    public ushort NumBuffers { get; init; }

    /// <summary>Copies a header out of <paramref name="source"/> (at least <see cref="LegacySize"/> bytes).</summary>
    /// <param name="source">The header bytes; <c>num_buffers</c> is read when 12 or more bytes are given.</param>
    /// <returns>The header: no field is checked yet, see <see cref="TryApplyTo"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than <see cref="LegacySize"/>.</exception>
    public static VirtioNetHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < LegacySize)
        {
            throw new ArgumentException($"A virtio-net header takes at least {LegacySize} bytes; {source.Length} given.", nameof(source));
        }

        return new VirtioNetHeader
        {
            Flags = source[0],
            GsoType = source[1],
            HeaderLength = BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            GsoSize = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            ChecksumStart = BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            ChecksumOffset = BinaryPrimitives.ReadUInt16LittleEndian(source[8..]),
            NumBuffers = source.Length >= Size ? BinaryPrimitives.ReadUInt16LittleEndian(source[10..]) : (ushort)0,
        };
    }

    /// <summary>The header that describes a packet's offload metadata.</summary>
    /// <param name="packet">The packet (head buffer).</param>
    /// <param name="numBuffers">The <c>num_buffers</c> value to carry.</param>
    /// <returns>The header.</returns>
    public static VirtioNetHeader FromPacket(PacketBuffer packet, ushort numBuffers = 1)
    {
        ArgumentNullException.ThrowIfNull(packet);
        byte flags = packet.ChecksumState switch
        {
            ChecksumState.Partial => FlagNeedsChecksum,
            ChecksumState.Valid => FlagDataValid,
            _ => 0,
        };
        byte gso = packet.GsoType switch
        {
            Memory.GsoType.TcpV4 => GsoTcpV4,
            Memory.GsoType.TcpV6 => GsoTcpV6,
            Memory.GsoType.Udp => GsoUdp,
            Memory.GsoType.UdpL4 => GsoUdpL4,
            _ => GsoNone,
        };
        return new VirtioNetHeader
        {
            Flags = flags,
            GsoType = gso,
            GsoSize = (ushort)packet.GsoSize,
            ChecksumStart = (ushort)packet.ChecksumStart,
            ChecksumOffset = (ushort)packet.ChecksumOffset,
            NumBuffers = numBuffers,
        };
    }

    /// <summary>Writes the header in wire order.</summary>
    /// <param name="destination">At least <see cref="LegacySize"/> bytes; <c>num_buffers</c> is written when it has 12 or more.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="LegacySize"/>.</exception>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < LegacySize)
        {
            throw new ArgumentException($"A virtio-net header takes at least {LegacySize} bytes; {destination.Length} given.", nameof(destination));
        }

        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
        if (destination.Length >= Size)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[10..], NumBuffers);
        }
    }

    /// <summary>
    /// Checks the header against the packet it describes and, when it is sound, copies its offloads into
    /// the packet's metadata. A header from a guest or the kernel is untrusted: nothing is applied on error.
    /// </summary>
    /// <param name="packet">The packet the header came with, its data already in place (head buffer).</param>
    /// <returns><see cref="VirtioNetHeaderError.None"/> when applied, else what is wrong.</returns>
    public VirtioNetHeaderError TryApplyTo(PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if ((Flags & ~(FlagNeedsChecksum | FlagDataValid | FlagRscInfo)) != 0)
        {
            return VirtioNetHeaderError.UnknownFlags;
        }

        bool needsChecksum = (Flags & FlagNeedsChecksum) != 0;
        if (needsChecksum && ChecksumStart + ChecksumOffset + sizeof(ushort) > packet.PacketLength)
        {
            return VirtioNetHeaderError.ChecksumOutOfBounds;
        }

        Memory.GsoType gso;
        switch (GsoType & ~GsoEcn)
        {
            case GsoNone when (GsoType & GsoEcn) == 0:
                gso = Memory.GsoType.None;
                break;
            case GsoTcpV4:
                gso = Memory.GsoType.TcpV4;
                break;
            case GsoTcpV6:
                gso = Memory.GsoType.TcpV6;
                break;
            case GsoUdp when (GsoType & GsoEcn) == 0:
                gso = Memory.GsoType.Udp;
                break;
            case GsoUdpL4 when (GsoType & GsoEcn) == 0:
                gso = Memory.GsoType.UdpL4;
                break;
            default:
                return VirtioNetHeaderError.UnknownGsoType;
        }

        if (gso != Memory.GsoType.None)
        {
            if (GsoSize == 0)
            {
                return VirtioNetHeaderError.ZeroSegmentSize;
            }

            // Segmenting needs the L4 checksum to be completed per segment (as Linux's virtio_net_hdr_to_skb asks).
            if (gso != Memory.GsoType.Udp && !needsChecksum)
            {
                return VirtioNetHeaderError.SegmentationWithoutChecksum;
            }
        }

        packet.SetGso(gso, gso == Memory.GsoType.None ? 0 : GsoSize);
        if (needsChecksum)
        {
            packet.SetChecksumPartial(ChecksumStart, ChecksumOffset);
        }
        else if ((Flags & FlagDataValid) != 0)
        {
            packet.SetChecksumValid();
        }
        else
        {
            packet.SetChecksumNone();
        }

        return VirtioNetHeaderError.None;
    }
}
