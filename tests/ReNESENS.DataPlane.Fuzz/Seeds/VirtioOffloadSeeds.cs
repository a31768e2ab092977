using System.Buffers.Binary;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>
/// Starting inputs for <see cref="Targets.VirtioOffloadTarget"/>: a virtio-net header and a frame as Linux hands them
/// to a TAP with offloads on (TSO v4/v6, USO, a partial checksum, a VLAN-tagged superframe, a plain frame).
/// </summary>
internal static class VirtioOffloadSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        yield return ("tso4", Input(ipv6: false, tcp: true, 3000, gso: 1, mss: 1000, vlan: false));
        yield return ("tso6", Input(ipv6: true, tcp: true, 2000, gso: 4, mss: 900, vlan: false));
        yield return ("uso4", Input(ipv6: false, tcp: false, 2500, gso: 5, mss: 1200, vlan: false));
        yield return ("tso4-vlan", Input(ipv6: false, tcp: true, 1500, gso: 1, mss: 500, vlan: true));
        yield return ("csum-udp6", Input(ipv6: true, tcp: false, 99, gso: 0, mss: 0, vlan: false));
        yield return ("plain", [.. new byte[12], .. Frame(false, true, 40, false)]);
    }

    private static byte[] Input(bool ipv6, bool tcp, int payload, byte gso, ushort mss, bool vlan)
    {
        byte[] frame = Frame(ipv6, tcp, payload, vlan);
        var header = new byte[12];
        header[0] = 1; // NEEDS_CSUM
        header[1] = gso;
        ushort start = (ushort)(14 + (vlan ? 4 : 0) + (ipv6 ? 40 : 20));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), (ushort)(start + (tcp ? 20 : 8)));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), mss);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), start);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), tcp ? (ushort)16 : (ushort)6);
        return [.. header, .. frame];
    }

    private static byte[] Frame(bool ipv6, bool tcp, int payload, bool vlan)
    {
        int l3 = vlan ? 18 : 14;
        int l4 = l3 + (ipv6 ? 40 : 20);
        var f = new byte[l4 + (tcp ? 20 : 8) + payload];
        f[0] = 2;
        f[6] = 2;
        f[11] = 1;
        if (vlan)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x8100);
            f[15] = 7;
        }

        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(l3 - 2), ipv6 ? (ushort)0x86DD : (ushort)0x0800);
        if (ipv6)
        {
            f[l3] = 0x60;
            f[l3 + 6] = tcp ? (byte)6 : (byte)17;
        }
        else
        {
            f[l3] = 0x45;
            f[l3 + 9] = tcp ? (byte)6 : (byte)17;
        }

        if (tcp)
        {
            f[l4 + 12] = 0x50;
            f[l4 + 13] = 0x19;
        }

        return f;
    }
}
