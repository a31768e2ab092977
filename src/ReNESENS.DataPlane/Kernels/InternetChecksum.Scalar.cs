using System.Buffers.Binary;

namespace ReNESENS.DataPlane.Kernels;

public static partial class InternetChecksum
{
    /// <summary>
    /// Sum of little-endian 32-bit words (then one 16-bit word, then one byte) into 64 bits; no
    /// carry is lost for any span length (at most 2^31 · 2^32 / 4).
    /// </summary>
    internal static ulong SumScalar(ReadOnlySpan<byte> source)
    {
        ulong sum = 0;
        while (source.Length >= 8)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(source);
            sum += (word & 0xFFFFFFFF) + (word >> 32);
            source = source[8..];
        }

        return sum + SumShortTail(source);
    }

    /// <summary>Fewer than 8 bytes.</summary>
    private static ulong SumShortTail(ReadOnlySpan<byte> source)
    {
        ulong sum = 0;
        if (source.Length >= 4)
        {
            sum += BinaryPrimitives.ReadUInt32LittleEndian(source);
            source = source[4..];
        }

        if (source.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16LittleEndian(source);
            source = source[2..];
        }

        if (!source.IsEmpty)
        {
            // Network order pads an odd last byte on its right: it is the high byte of a
            // big-endian word, the low byte of the little-endian one summed here.
            sum += source[0];
        }

        return sum;
    }
}
