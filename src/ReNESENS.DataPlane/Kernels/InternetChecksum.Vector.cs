using System.Runtime.Intrinsics;

namespace ReNESENS.DataPlane.Kernels;

public static partial class InternetChecksum
{
    // Each vector loop adds the low and the high 32-bit half of every 64-bit lane into 64-bit
    // accumulators: no carry is lost for any span length, and the carries are folded once at the
    // end (RFC 1071 §2(C)). Loads go through MemoryMarshal.GetReference/LoadUnsafe at offsets
    // checked against the length by the loop conditions.

    /// <summary>512-bit path: 128 bytes per step in two accumulator pairs.</summary>
    internal static ulong SumVector512(ReadOnlySpan<byte> source)
    {
        ref byte first = ref CrcTables.First(source);
        nuint length = (nuint)source.Length;
        nuint offset = 0;
        Vector512<ulong> mask = Vector512.Create(0xFFFFFFFFUL);
        Vector512<ulong> lo0 = Vector512<ulong>.Zero, hi0 = Vector512<ulong>.Zero, lo1 = Vector512<ulong>.Zero, hi1 = Vector512<ulong>.Zero;
        while (length - offset >= 128)
        {
            Vector512<ulong> a = Vector512.LoadUnsafe(ref first, offset).AsUInt64();
            Vector512<ulong> b = Vector512.LoadUnsafe(ref first, offset + 64).AsUInt64();
            lo0 += a & mask;
            hi0 += a >>> 32;
            lo1 += b & mask;
            hi1 += b >>> 32;
            offset += 128;
        }

        if (length - offset >= 64)
        {
            Vector512<ulong> a = Vector512.LoadUnsafe(ref first, offset).AsUInt64();
            lo0 += a & mask;
            hi0 += a >>> 32;
            offset += 64;
        }

        ulong sum = Vector512.Sum(lo0 + hi0 + lo1 + hi1);
        return sum + SumVector128Tail(source[(int)offset..]);
    }

    /// <summary>256-bit path: 64 bytes per step in two accumulator pairs.</summary>
    internal static ulong SumVector256(ReadOnlySpan<byte> source)
    {
        ref byte first = ref CrcTables.First(source);
        nuint length = (nuint)source.Length;
        nuint offset = 0;
        Vector256<ulong> mask = Vector256.Create(0xFFFFFFFFUL);
        Vector256<ulong> lo0 = Vector256<ulong>.Zero, hi0 = Vector256<ulong>.Zero, lo1 = Vector256<ulong>.Zero, hi1 = Vector256<ulong>.Zero;
        while (length - offset >= 64)
        {
            Vector256<ulong> a = Vector256.LoadUnsafe(ref first, offset).AsUInt64();
            Vector256<ulong> b = Vector256.LoadUnsafe(ref first, offset + 32).AsUInt64();
            lo0 += a & mask;
            hi0 += a >>> 32;
            lo1 += b & mask;
            hi1 += b >>> 32;
            offset += 64;
        }

        if (length - offset >= 32)
        {
            Vector256<ulong> a = Vector256.LoadUnsafe(ref first, offset).AsUInt64();
            lo0 += a & mask;
            hi0 += a >>> 32;
            offset += 32;
        }

        ulong sum = Vector256.Sum(lo0 + hi0 + lo1 + hi1);
        return sum + SumVector128Tail(source[(int)offset..]);
    }

    /// <summary>128-bit path: 32 bytes per step.</summary>
    internal static ulong SumVector128(ReadOnlySpan<byte> source)
    {
        ref byte first = ref CrcTables.First(source);
        nuint length = (nuint)source.Length;
        nuint offset = 0;
        Vector128<ulong> mask = Vector128.Create(0xFFFFFFFFUL);
        Vector128<ulong> lo0 = Vector128<ulong>.Zero, hi0 = Vector128<ulong>.Zero, lo1 = Vector128<ulong>.Zero, hi1 = Vector128<ulong>.Zero;
        while (length - offset >= 32)
        {
            Vector128<ulong> a = Vector128.LoadUnsafe(ref first, offset).AsUInt64();
            Vector128<ulong> b = Vector128.LoadUnsafe(ref first, offset + 16).AsUInt64();
            lo0 += a & mask;
            hi0 += a >>> 32;
            lo1 += b & mask;
            hi1 += b >>> 32;
            offset += 32;
        }

        ulong sum = Vector128.Sum(lo0 + hi0 + lo1 + hi1);
        return sum + SumVector128Tail(source[(int)offset..]);
    }

    /// <summary>Fewer than 64 bytes left by a wider path: one 128-bit step at a time, then scalar.</summary>
    private static ulong SumVector128Tail(ReadOnlySpan<byte> source)
    {
        ulong sum = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref byte first = ref CrcTables.First(source);
            nuint length = (nuint)source.Length;
            nuint offset = 0;
            Vector128<ulong> mask = Vector128.Create(0xFFFFFFFFUL);
            Vector128<ulong> acc = Vector128<ulong>.Zero;
            while (length - offset >= 16)
            {
                Vector128<ulong> a = Vector128.LoadUnsafe(ref first, offset).AsUInt64();
                acc += (a & mask) + (a >>> 32);
                offset += 16;
            }

            sum = Vector128.Sum(acc);
            source = source[(int)offset..];
        }

        return sum + SumScalar(source);
    }
}
