using System.Buffers.Binary;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>Valid starting inputs for the <c>vhostmsg</c> and <c>vringchain</c> targets.</summary>
internal static class VirtioSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Messages()
    {
        yield return ("get-features", [0, .. Header(1, 0)]);
        yield return ("set-features", [0, .. Header(2, 8), 0, 0, 0, 0, 1, 0, 0, 0]);
        byte[] table = new byte[40];
        table[0] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(8), 0x4000_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(16), 1 << 20);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(24), 0x7F00_0000_0000);
        yield return ("mem-table", [1, .. Header(5, 40), .. table]);
        yield return ("kick-call-nofd", [1, .. Header(12, 8), 1, 0, 0, 0, 0, 0, 0, 0, 0, .. Header(13, 8), 0, 1, 0, 0, 0, 0, 0, 0]);
        yield return ("vring-setup", [0, .. Header(8, 8), 0, 0, 0, 0, 0, 1, 0, 0, 0, .. Header(9, 40), .. new byte[40], 0, .. Header(11, 8), 1, 0, 0, 0, 0, 0, 0, 0]);
    }

    public static IEnumerable<(string Name, byte[] Data)> Chains()
    {
        // Split, size 8: head 0 -> 1 (data at 0x8000, 0x8100), avail idx 1, ring[0] = 0.
        byte[] split = new byte[0x2000 + 8];
        Descriptor(split, 0, 0x1000_8000, 64, 1, 1);
        Descriptor(split, 1, 0x1000_8100, 64, 0, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(split.AsSpan(0x2002), 1);
        yield return ("split-chain", [0, 3, .. split]);

        // Split with an indirect table of two entries at 0x9000 (in the copied area only up to 0x3000: at 0x1800).
        byte[] indirect = new byte[0x2000 + 8];
        Descriptor(indirect, 0, 0x1000_1800, 32, 4, 0);
        Descriptor(indirect, 0x180, 0x1000_8000, 16, 1, 1);
        Descriptor(indirect, 0x181, 0x1000_8100, 16, 0, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(indirect.AsSpan(0x2002), 1);
        yield return ("split-indirect", [2, 3, .. indirect]);

        // Packed, size 8, device-writable chain of two in slots 0 and 1 (wrap counter 1: AVAIL set).
        byte[] packed = new byte[0x100];
        PackedDescriptor(packed, 0, 0x1000_8000, 64, 7, 0x80 | 2 | 1);
        PackedDescriptor(packed, 1, 0x1000_8100, 64, 7, 0x80 | 2);
        yield return ("packed-chain", [5, 7, .. packed]);
    }

    private static byte[] Header(uint request, uint size)
    {
        byte[] h = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(h, request);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), size);
        return h;
    }

    private static void Descriptor(byte[] table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> d = table.AsSpan(index * 16, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
    }

    private static void PackedDescriptor(byte[] ring, int slot, ulong address, uint length, ushort id, ushort flags)
    {
        Span<byte> d = ring.AsSpan(slot * 16, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], id);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], flags);
    }
}
