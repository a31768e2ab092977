using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// Slice-by-8 tables for the scalar fallbacks (Kounavis and Berry, "A Systematic Approach to Building
/// High Performance Software-Based CRC Generators", 2005): table k maps a byte to its contribution
/// when k more zero bytes follow it.
/// </summary>
internal static class CrcTables
{
    /// <summary>Tables for an LSB-first CRC of width &lt;= 64; <paramref name="reflectedPolynomial"/> is bit-reversed in w bits.</summary>
    public static ulong[] CreateReflected(ulong reflectedPolynomial)
    {
        ulong[] table = new ulong[8 * 256];
        for (int b = 0; b < 256; b++)
        {
            ulong crc = (ulong)b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
            }

            table[b] = crc;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                ulong previous = table[((k - 1) * 256) + b];
                table[(k * 256) + b] = (previous >> 8) ^ table[(int)(previous & 0xFF)];
            }
        }

        return table;
    }

    /// <summary>Tables for an MSB-first 16-bit CRC.</summary>
    public static ushort[] CreateNormal16(ushort polynomial)
    {
        ushort[] table = new ushort[8 * 256];
        for (int b = 0; b < 256; b++)
        {
            int crc = b << 8;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ polynomial : crc << 1;
            }

            table[b] = (ushort)crc;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                ushort previous = table[((k - 1) * 256) + b];
                table[(k * 256) + b] = (ushort)((previous << 8) ^ table[previous >> 8]);
            }
        }

        return table;
    }

    /// <summary>Updates an LSB-first CRC register (no init or final xor here).</summary>
    public static ulong UpdateReflected(ulong crc, ReadOnlySpan<byte> source, ulong[] tables)
    {
        // The table is 8·256 entries and every index below is masked to 8 bits (or is a top byte),
        // so the bounds checks the JIT keeps are the only cost of staying safe.
        ReadOnlySpan<ulong> t = tables;
        while (source.Length >= 8)
        {
            crc ^= BinaryPrimitives.ReadUInt64LittleEndian(source);
            crc = t[(7 * 256) + (int)(crc & 0xFF)]
                ^ t[(6 * 256) + (int)((crc >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((crc >> 16) & 0xFF)]
                ^ t[(4 * 256) + (int)((crc >> 24) & 0xFF)]
                ^ t[(3 * 256) + (int)((crc >> 32) & 0xFF)]
                ^ t[(2 * 256) + (int)((crc >> 40) & 0xFF)]
                ^ t[256 + (int)((crc >> 48) & 0xFF)]
                ^ t[(int)(crc >> 56)];
            source = source[8..];
        }

        foreach (byte b in source)
        {
            crc = t[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        }

        return crc;
    }

    /// <summary>Updates an MSB-first 16-bit CRC register.</summary>
    public static ushort UpdateNormal16(ushort crc, ReadOnlySpan<byte> source, ushort[] tables)
    {
        ReadOnlySpan<ushort> t = tables;
        while (source.Length >= 8)
        {
            crc = (ushort)(t[(7 * 256) + (source[0] ^ (crc >> 8))]
                ^ t[(6 * 256) + (source[1] ^ (crc & 0xFF))]
                ^ t[(5 * 256) + source[2]]
                ^ t[(4 * 256) + source[3]]
                ^ t[(3 * 256) + source[4]]
                ^ t[(2 * 256) + source[5]]
                ^ t[256 + source[6]]
                ^ t[source[7]]);
            source = source[8..];
        }

        foreach (byte b in source)
        {
            crc = (ushort)((crc << 8) ^ t[(crc >> 8) ^ b]);
        }

        return crc;
    }

    /// <summary>The first element of a span, for the vector loads (no bounds check; callers pass lengths).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref byte First(ReadOnlySpan<byte> source) => ref MemoryMarshal.GetReference(source);
}
