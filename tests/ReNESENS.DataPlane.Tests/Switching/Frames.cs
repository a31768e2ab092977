using System.Buffers.Binary;

namespace ReNESENS.DataPlane.Tests.Switching;

/// <summary>Builds Ethernet frames for switch tests.</summary>
internal static class Frames
{
    internal static byte[] Mac(int n) => [0x02, 0, 0, 0, (byte)(n >> 8), (byte)n];

    internal static readonly byte[] Broadcast = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    /// <summary>dst, src, optional 802.1Q tag, EtherType 0x88B5 (local experimental), 46 bytes of payload.</summary>
    internal static byte[] Build(byte[] dst, byte[] src, int vlan = -1, int payload = 46)
    {
        int tag = vlan >= 0 ? 4 : 0;
        var f = new byte[14 + tag + payload];
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        if (vlan >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), (ushort)vlan);
        }

        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12 + tag), 0x88B5);
        for (int i = 14 + tag; i < f.Length; i++)
        {
            f[i] = (byte)(i - 14 - tag);
        }

        return f;
    }

    /// <summary>The VLAN id of a sent frame's tag, or -1 when untagged.</summary>
    internal static int VlanOf(byte[] frame) =>
        BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == 0x8100 ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14)) & 0xFFF : -1;
}
