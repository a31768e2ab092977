using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>Bit order of a CRC, as a type so that the folding engine is specialised by the JIT.</summary>
internal interface ICrcBitOrder
{
    /// <summary>True for LSB-first CRCs (CRC32C, CRC64/NVMe), false for MSB-first ones (CRC16/T10-DIF).</summary>
    static abstract bool Reflected { get; }
}

/// <summary>LSB-first ("reflected") CRCs: the bytes are folded as loaded, little-endian.</summary>
internal readonly struct ReflectedBitOrder : ICrcBitOrder
{
    public static bool Reflected => true;
}

/// <summary>MSB-first CRCs: each 16-byte lane is byte-reversed after loading.</summary>
internal readonly struct NormalBitOrder : ICrcBitOrder
{
    public static bool Reflected => false;
}

/// <summary>
/// Carry-less multiplication folding of a CRC with a 64-bit generator P' (see <see cref="CrcMath"/>),
/// after Intel's white paper "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
/// Instruction" (V. Gopal et al., 2009): 128-bit lanes are folded forward by multiplying each
/// 64-bit half by x^k mod P', the last lane is reduced to 128 + 64 bits and then to 64 bits with
/// Barrett reduction. One partial file per instruction set: <c>CrcFolding.Pclmul.cs</c> (128-bit
/// PCLMULQDQ), <c>CrcFolding.Vector512.cs</c> (VPCLMULQDQ on 512-bit registers).
/// </summary>
/// <remarks>
/// <para>Register conventions. Reflected: a 128-bit lane loaded little-endian holds the polynomial
/// whose bit i is the coefficient of x^(127-i); a carry-less product of two such 64-bit halves is the
/// product times x, so the constants carry one power of x less. Normal: each lane is byte-reversed,
/// bit i is the coefficient of x^i and the product is exact.</para>
/// <para>The engine state is the 64-bit remainder: for a reflected CRC of width w its low w bits are
/// the CRC register; for a normal one its top w bits are.</para>
/// </remarks>
internal static partial class CrcFolding
{
    /// <summary>True when the 128-bit folding engine can run.</summary>
    public static bool IsPclmulSupported
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Pclmulqdq.IsSupported && Ssse3.IsSupported && Sse41.X64.IsSupported;
    }

    /// <summary>A 512-bit register from four 128-bit lanes, lane 0 first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<ulong> Lanes(Vector128<ulong> lane0, Vector128<ulong> lane1, Vector128<ulong> lane2, Vector128<ulong> lane3) =>
        Vector512.Create(Vector256.Create(lane0, lane1), Vector256.Create(lane2, lane3));

    /// <summary>True when the 512-bit folding engine can run.</summary>
    public static bool IsVector512Supported
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsPclmulSupported && Pclmulqdq.V512.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated;
    }
}

/// <summary>
/// The folding and reduction constants of one CRC, derived from its generator when the CRC's class
/// is initialised.
/// </summary>
internal sealed class CrcFoldConstants
{
    /// <summary>Fold pairs for 128-bit lanes: a lane folded forward by T bits (lo = constant for the
    /// first-in-memory half, hi = for the second).</summary>
    public readonly Vector128<ulong> Fold128, Fold256, Fold384, Fold512;

    /// <summary>The same pairs broadcast to the four lanes of a 512-bit register.</summary>
    public readonly Vector512<ulong> Fold512x4, Fold1024x4, Fold1536x4, Fold2048x4;

    /// <summary>Lane i of a 512-bit register folded by (3 - i)·128 bits; lane 3 is zero (kept as is).</summary>
    public readonly Vector512<ulong> FoldLanes;

    /// <summary>Reduces a 128-bit lane L to the 128-bit V ≡ L·x^64 (mod P').</summary>
    public readonly ulong Final;

    /// <summary>Barrett quotient constant.</summary>
    public readonly ulong Mu;

    /// <summary>Barrett generator constant.</summary>
    public readonly ulong Poly;

    /// <summary>Reflected only: the generator's x^0 term, which the reflected Barrett step adds apart.</summary>
    public readonly bool PolyHasUnitTerm;

    /// <param name="p">low 64 coefficients of P' (normal bit order, x^64 implicit).</param>
    /// <param name="reflected">the CRC's bit order.</param>
    public CrcFoldConstants(ulong p, bool reflected)
    {
        Fold128 = Pair(128);
        Fold256 = Pair(256);
        Fold384 = Pair(384);
        Fold512 = Pair(512);
        Fold512x4 = CrcFolding.Lanes(Fold512, Fold512, Fold512, Fold512);
        Vector128<ulong> f1024 = Pair(1024), f1536 = Pair(1536), f2048 = Pair(2048);
        Fold1024x4 = CrcFolding.Lanes(f1024, f1024, f1024, f1024);
        Fold1536x4 = CrcFolding.Lanes(f1536, f1536, f1536, f1536);
        Fold2048x4 = CrcFolding.Lanes(f2048, f2048, f2048, f2048);
        FoldLanes = CrcFolding.Lanes(Fold384, Fold256, Fold128, Vector128<ulong>.Zero);

        if (reflected)
        {
            // Reflected: the product of two halves carries an extra x, hence the -1 exponents.
            // V = H·(x^127 mod P')·x + L·x^64 ≡ (H·x^64 + L)·x^64.
            Final = CrcMath.Reflect64(CrcMath.XPowMod(127, p));
            // q = floor(V1 · floor(x^127 / P') / x^63) (exact for deg V1 <= 63); the product's
            // extra x puts q in the low half. Then R = V0 + lo64(q·p), p = x·floor(p/x) + p0.
            Mu = CrcMath.Reflect64(CrcMath.FloorDiv(UInt128.One << 127, p));
            Poly = CrcMath.Reflect64(p >> 1);
            PolyHasUnitTerm = (p & 1) != 0;
        }
        else
        {
            // V = H·(x^128 mod P') + L·x^64 ≡ (H·x^64 + L)·x^64.
            Final = CrcMath.XPowMod(128, p);
            // floor(x^128 / P') = x^64 + floor(x^64·p / P'); q = V1 + hi64(V1·m); R = V0 + lo64(q·p).
            Mu = CrcMath.FloorDiv((UInt128)p << 64, p);
            Poly = p;
        }

        Vector128<ulong> Pair(int t) => reflected
            // H·x^(T+64) = x·H·x^(T+63); L·x^T = x·L·x^(T-1).
            ? Vector128.Create(CrcMath.Reflect64(CrcMath.XPowMod(t + 63, p)), CrcMath.Reflect64(CrcMath.XPowMod(t - 1, p)))
            // lo half = L (multiplied by x^T), hi half = H (by x^(T+64)).
            : Vector128.Create(CrcMath.XPowMod(t, p), CrcMath.XPowMod(t + 64, p));
    }
}
