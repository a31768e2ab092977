using System.Buffers.Binary;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Virtio;

/// <summary>
/// Builds frames as a Linux sender hands them to a TAP with offloads on: IP lengths for the whole superframe and the
/// L4 checksum field holding only the pseudo-header sum (virtio NEEDS_CSUM). Shared with the tshark tests.
/// </summary>
internal static class Superframes
{
    internal const int TcpOptions = 12;

    /// <summary>Bytes of the IPv6 extension headers <see cref="Build"/> adds when asked: Hop-by-Hop (8), Destination Options (16), a segment routing header with no segments left (24).</summary>
    internal const int Ipv6ExtensionLength = 48;

    /// <summary>Ethernet + IPv4 or IPv6 (with <see cref="Ipv6ExtensionLength"/> bytes of extension headers when <paramref name="ipv6Extensions"/>) + TCP (with 12 option bytes) or UDP + payload.</summary>
    internal static byte[] Build(bool ipv6, bool tcp, int payloadLength, byte tcpFlags = 0x10, uint sequence = 0xFFFF_F000, int vlan = -1, bool ipv6Extensions = false)
    {
        int tag = vlan >= 0 ? 4 : 0;
        int l3 = 14 + tag;
        int extensions = ipv6 && ipv6Extensions ? Ipv6ExtensionLength : 0;
        int ipLength = ipv6 ? 40 + extensions : 20;
        int l4 = l3 + ipLength;
        int l4Header = tcp ? 20 + TcpOptions : 8;
        var f = new byte[l4 + l4Header + payloadLength];
        byte[] dst = [0x02, 0, 0, 0, 0, 2];
        byte[] src = [0x02, 0, 0, 0, 0, 1];
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        if (vlan >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), (ushort)vlan);
        }

        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12 + tag), ipv6 ? (ushort)0x86DD : (ushort)0x0800);
        byte protocol = tcp ? (byte)6 : (byte)17;
        int l4Length = l4Header + payloadLength;
        if (ipv6)
        {
            f[l3] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 + 4), (ushort)(extensions + l4Length));
            f[l3 + 6] = extensions == 0 ? protocol : (byte)0;
            f[l3 + 7] = 64;
            f[l3 + 8] = 0xFD;
            f[l3 + 23] = 1;
            f[l3 + 24] = 0xFD;
            f[l3 + 39] = 2;
            if (extensions != 0)
            {
                int x = l3 + 40;

                // Hop-by-Hop: next Destination Options, 8 bytes, a PadN option of 4 bytes.
                f[x] = 60;
                f[x + 2] = 1;
                f[x + 3] = 4;

                // Destination Options: next Routing, 16 bytes, a PadN option of 12 bytes.
                f[x + 8] = 43;
                f[x + 9] = 1;
                f[x + 10] = 1;
                f[x + 11] = 12;

                // Routing, type 4 (segment routing), 24 bytes, no segments left: one segment, the destination.
                f[x + 24] = protocol;
                f[x + 25] = 2;
                f[x + 26] = 4;
                f[x + 27] = 0;
                f.AsSpan(l3 + 24, 16).CopyTo(f.AsSpan(x + 32));
            }
        }
        else
        {
            f[l3] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 + 2), (ushort)(20 + l4Length));
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 + 4), 0xFFFE);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 + 6), 0x4000);
            f[l3 + 8] = 64;
            f[l3 + 9] = protocol;
            f[l3 + 12] = 10;
            f[l3 + 15] = 1;
            f[l3 + 16] = 10;
            f[l3 + 19] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 + 10), InternetChecksum.Compute(f.AsSpan(l3, 20)));
        }

        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l4), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l4 + 2), 5201);
        if (tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(l4 + 4), sequence);
            BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(l4 + 8), 77);
            f[l4 + 12] = (byte)((20 + TcpOptions) / 4 << 4);
            f[l4 + 13] = tcpFlags;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l4 + 14), 512);
            // Options: NOP, NOP, timestamps (kind 8, length 10).
            f[l4 + 20] = 1;
            f[l4 + 21] = 1;
            f[l4 + 22] = 8;
            f[l4 + 23] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(l4 + 24), 123456);
            BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(l4 + 28), 654321);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l4 + 4), (ushort)l4Length);
        }

        for (int i = l4 + l4Header; i < f.Length; i++)
        {
            f[i] = (byte)(i * 7 + 3);
        }

        // The pseudo-header sum, not complemented, in the checksum field: what NEEDS_CSUM means.
        Span<byte> pseudo = stackalloc byte[40];
        int pl = ipv6 ? 32 : 8;
        f.AsSpan(ipv6 ? l3 + 8 : l3 + 12, pl).CopyTo(pseudo);
        ushort sum = InternetChecksum.Sum(pseudo[..pl]);
        sum = InternetChecksum.Add(sum, protocol);
        sum = InternetChecksum.Add(sum, (ushort)l4Length);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l4 + (tcp ? 16 : 6)), sum);
        return f;
    }

    internal static int ChecksumStart(bool ipv6, int vlan = -1, bool ipv6Extensions = false) =>
        14 + (vlan >= 0 ? 4 : 0) + (ipv6 ? 40 + (ipv6Extensions ? Ipv6ExtensionLength : 0) : 20);

    /// <summary>Rents a packet holding <paramref name="frame"/>, as one buffer or a chain of <paramref name="chunk"/>-byte buffers.</summary>
    internal static PacketBuffer ToPacket(BufferPool pool, byte[] frame, int chunk = int.MaxValue)
    {
        Assert.True(pool.TryRent(out PacketBuffer? head));
        int first = Math.Min(chunk, Math.Min(frame.Length, head.Tailroom));
        frame.AsSpan(0, first).CopyTo(head.Append(first));
        for (int offset = first; offset < frame.Length;)
        {
            Assert.True(pool.TryRent(out PacketBuffer? next));
            int n = Math.Min(chunk, Math.Min(frame.Length - offset, next.Tailroom));
            frame.AsSpan(offset, n).CopyTo(next.Append(n));
            head.Chain(next);
            offset += n;
        }

        return head;
    }
}
