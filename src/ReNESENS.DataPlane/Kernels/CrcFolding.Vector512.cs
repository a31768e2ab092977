using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Kernels;

internal static partial class CrcFolding
{
    /// <summary>Shortest input for <see cref="Fold512"/>: four 512-bit registers.</summary>
    public const int Vector512MinLength = 256;

    /// <summary>
    /// Folds <paramref name="length"/> bytes (a multiple of 16, at least 256) into the 64-bit engine
    /// state with VPCLMULQDQ on 512-bit registers: four registers (256 bytes) per step, then one
    /// register (64 bytes), then one 128-bit lane (16 bytes) per step.
    /// </summary>
    /// <remarks>Callers check <see cref="IsVector512Supported"/>. <paramref name="source"/> must have
    /// <paramref name="length"/> readable bytes: every load below is at an offset + its size &lt;= length.</remarks>
    // FullOpts: see the note on Crc32C.Update (Dynamic PGO made the tier-1 loop slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Fold512<TOrder>(ulong state, ref byte source, nuint length, CrcFoldConstants k)
        where TOrder : struct, ICrcBitOrder
    {
        Debug.Assert(length >= Vector512MinLength && length % 16 == 0);

        // Built once here: created inside Load512 the JIT rebuilt it with dependent inserts every step.
        Vector128<byte> reverse = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        Vector512<byte> mask = Vector512.Create(Vector256.Create(reverse, reverse), Vector256.Create(reverse, reverse));

        Vector512<ulong> x0 = Load512<TOrder>(ref source, 0, mask) ^ CrcFolding.Lanes(Init<TOrder>(state), Vector128<ulong>.Zero, Vector128<ulong>.Zero, Vector128<ulong>.Zero);
        Vector512<ulong> x1 = Load512<TOrder>(ref source, 64, mask);
        Vector512<ulong> x2 = Load512<TOrder>(ref source, 128, mask);
        Vector512<ulong> x3 = Load512<TOrder>(ref source, 192, mask);
        nuint offset = 256;

        Vector512<ulong> f2048 = k.Fold2048x4;
        while (length - offset >= 256)
        {
            x0 = FoldXor(x0, f2048, Load512<TOrder>(ref source, offset, mask));
            x1 = FoldXor(x1, f2048, Load512<TOrder>(ref source, offset + 64, mask));
            x2 = FoldXor(x2, f2048, Load512<TOrder>(ref source, offset + 128, mask));
            x3 = FoldXor(x3, f2048, Load512<TOrder>(ref source, offset + 192, mask));
            offset += 256;
        }

        // Four registers -> one: x0 by 1536 bits, x1 by 1024, x2 by 512, x3 as is.
        Vector512<ulong> f512 = k.Fold512x4;
        Vector512<ulong> a = FoldXor(x0, k.Fold1536x4, x3);
        Vector512<ulong> b = FoldXor(x1, k.Fold1024x4, Pclmulqdq.V512.CarrylessMultiply(x2, f512, 0x00));
        Vector512<ulong> x = Avx512F.TernaryLogic(a, b, Pclmulqdq.V512.CarrylessMultiply(x2, f512, 0x11), 0x96);

        while (length - offset >= 64)
        {
            x = FoldXor(x, f512, Load512<TOrder>(ref source, offset, mask));
            offset += 64;
        }

        // Four lanes -> one: lane i folded by (3 - i)·128 bits, lane 3 as is.
        Vector512<ulong> folded = FoldXor(x, k.FoldLanes, CrcFolding.Lanes(Vector128<ulong>.Zero, Vector128<ulong>.Zero, Vector128<ulong>.Zero, x.GetUpper().GetUpper()));
        Vector256<ulong> half = folded.GetLower() ^ folded.GetUpper();
        Vector128<ulong> lane = half.GetLower() ^ half.GetUpper();

        Vector128<ulong> f128 = k.Fold128;
        while (offset < length)
        {
            lane = Fold(lane, f128) ^ Load<TOrder>(ref source, offset);
            offset += 16;
        }

        return Reduce<TOrder>(lane, k);
    }

    /// <summary>Each lane of <paramref name="x"/> folded forward, plus <paramref name="addend"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> FoldXor(Vector512<ulong> x, Vector512<ulong> constants, Vector512<ulong> addend) =>
        Avx512F.TernaryLogic(
            Pclmulqdq.V512.CarrylessMultiply(x, constants, 0x00),
            Pclmulqdq.V512.CarrylessMultiply(x, constants, 0x11),
            addend,
            0x96); // a ^ b ^ c

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Load512<TOrder>(ref byte source, nuint offset, Vector512<byte> reverseMask)
        where TOrder : struct, ICrcBitOrder
    {
        Vector512<byte> bytes = Vector512.LoadUnsafe(ref source, offset);
        if (!TOrder.Reflected)
        {
            // VPSHUFB works within each 128-bit lane: every lane is byte-reversed on its own.
            bytes = Avx512BW.Shuffle(bytes, reverseMask);
        }

        return bytes.AsUInt64();
    }
}
