using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Kernels;

internal static partial class CrcFolding
{
    /// <summary>
    /// Folds <paramref name="length"/> bytes (a non-zero multiple of 16) into the 64-bit engine state
    /// with 128-bit PCLMULQDQ: four lanes (64 bytes) per step, then one lane per step.
    /// </summary>
    /// <remarks>Callers check <see cref="IsPclmulSupported"/>. <paramref name="source"/> must have
    /// <paramref name="length"/> readable bytes: every load below is at an offset + 16 &lt;= length.</remarks>
    // FullOpts: see the note on Crc32C.Update (Dynamic PGO made the tier-1 loop slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Fold128<TOrder>(ulong state, ref byte source, nuint length, CrcFoldConstants k)
        where TOrder : struct, ICrcBitOrder
    {
        Debug.Assert(length >= 16 && length % 16 == 0);

        Vector128<ulong> x0 = Load<TOrder>(ref source, 0) ^ Init<TOrder>(state);
        nuint offset = 16;
        if (length >= 64)
        {
            Vector128<ulong> x1 = Load<TOrder>(ref source, 16);
            Vector128<ulong> x2 = Load<TOrder>(ref source, 32);
            Vector128<ulong> x3 = Load<TOrder>(ref source, 48);
            offset = 64;
            Vector128<ulong> f512 = k.Fold512;
            while (length - offset >= 64)
            {
                x0 = Fold(x0, f512) ^ Load<TOrder>(ref source, offset);
                x1 = Fold(x1, f512) ^ Load<TOrder>(ref source, offset + 16);
                x2 = Fold(x2, f512) ^ Load<TOrder>(ref source, offset + 32);
                x3 = Fold(x3, f512) ^ Load<TOrder>(ref source, offset + 48);
                offset += 64;
            }

            x0 = Fold(x0, k.Fold384) ^ Fold(x1, k.Fold256) ^ Fold(x2, k.Fold128) ^ x3;
        }

        Vector128<ulong> f128 = k.Fold128;
        while (offset < length)
        {
            x0 = Fold(x0, f128) ^ Load<TOrder>(ref source, offset);
            offset += 16;
        }

        return Reduce<TOrder>(x0, k);
    }

    /// <summary>One lane folded forward by the distance its constant pair encodes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<ulong> Fold(Vector128<ulong> x, Vector128<ulong> constants) =>
        Pclmulqdq.CarrylessMultiply(x, constants, 0x00) ^ Pclmulqdq.CarrylessMultiply(x, constants, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<ulong> Load<TOrder>(ref byte source, nuint offset)
        where TOrder : struct, ICrcBitOrder
    {
        Vector128<byte> bytes = Vector128.LoadUnsafe(ref source, offset);
        if (!TOrder.Reflected)
        {
            bytes = Ssse3.Shuffle(bytes, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
        }

        return bytes.AsUInt64();
    }

    /// <summary>The state placed where it is added to the first 16 bytes of the message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<ulong> Init<TOrder>(ulong state)
        where TOrder : struct, ICrcBitOrder =>
        TOrder.Reflected ? Vector128.CreateScalar(state) : Vector128.Create(0, state);

    /// <summary>128-bit lane L -> the 64-bit remainder of L·x^64 mod P' (final fold, then Barrett).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Reduce<TOrder>(Vector128<ulong> x, CrcFoldConstants k)
        where TOrder : struct, ICrcBitOrder
    {
        if (TOrder.Reflected)
        {
            // V = H·x^128 + L·x^64: the low half (degrees 127..64) receives L.
            Vector128<ulong> v = Pclmulqdq.CarrylessMultiply(x, Vector128.CreateScalar(k.Final), 0x00)
                ^ Sse2.ShiftRightLogical128BitLane(x, 8);
            Vector128<ulong> t1 = Pclmulqdq.CarrylessMultiply(v, Vector128.CreateScalar(k.Mu), 0x00);
            Vector128<ulong> t2 = Pclmulqdq.CarrylessMultiply(t1, Vector128.CreateScalar(k.Poly), 0x00);
            ulong r = Sse41.X64.Extract(v, 1) ^ Sse41.X64.Extract(t2, 1);
            return k.PolyHasUnitTerm ? r ^ t1.ToScalar() : r;
        }
        else
        {
            // V = H·(x^128 mod P') + L·x^64: the high half receives L.
            Vector128<ulong> v = Pclmulqdq.CarrylessMultiply(x, Vector128.CreateScalar(k.Final), 0x01)
                ^ Sse2.ShiftLeftLogical128BitLane(x, 8);
            Vector128<ulong> t1 = Pclmulqdq.CarrylessMultiply(v, Vector128.CreateScalar(k.Mu), 0x01);
            ulong q = Sse41.X64.Extract(t1, 1) ^ Sse41.X64.Extract(v, 1);
            Vector128<ulong> t2 = Pclmulqdq.CarrylessMultiply(Vector128.CreateScalar(q), Vector128.CreateScalar(k.Poly), 0x00);
            return v.ToScalar() ^ t2.ToScalar();
        }
    }
}
