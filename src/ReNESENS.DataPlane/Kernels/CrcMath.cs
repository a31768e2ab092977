namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// Polynomial arithmetic over GF(2) used to derive the CRC folding and Barrett constants at type
/// initialisation, so that no constant is copied from anywhere: each one is computed from the CRC's
/// generator polynomial by the formula written next to its use.
/// </summary>
/// <remarks>
/// Every CRC here is computed by a 64-bit wide engine with the generator P'(x) = P(x)·x^(64-w),
/// where w is the CRC width: (M·x^64) mod P' = x^(64-w)·((M·x^w) mod P), so a 16- or 32-bit CRC
/// is the top (normal bit order) or low (reflected bit order) w bits of a 64-bit remainder.
/// A 64-bit generator is passed as its low 64 coefficients <c>p</c> (bit i = coefficient of x^i);
/// the x^64 term is implicit.
/// </remarks>
internal static class CrcMath
{
    /// <summary>x^k mod P', normal bit order (bit i = coefficient of x^i).</summary>
    public static ulong XPowMod(int k, ulong p)
    {
        ulong r = 1;
        for (int i = 0; i < k; i++)
        {
            bool carry = (r >> 63) != 0;
            r <<= 1;
            if (carry)
            {
                r ^= p;
            }
        }

        return r;
    }

    /// <summary>floor(D / P') for a dividend D of degree at most 127, normal bit order (the quotient has degree at most 63).</summary>
    public static ulong FloorDiv(UInt128 dividend, ulong p)
    {
        UInt128 remainder = dividend;
        UInt128 divisor = (UInt128.One << 64) | p;
        ulong quotient = 0;
        for (int i = 127; i >= 64; i--)
        {
            if (((remainder >> i) & UInt128.One) != UInt128.Zero)
            {
                remainder ^= divisor << (i - 64);
                quotient |= 1UL << (i - 64);
            }
        }

        return quotient;
    }

    /// <summary>Reverses the 64 bits of <paramref name="value"/>.</summary>
    public static ulong Reflect64(ulong value)
    {
        ulong r = 0;
        for (int i = 0; i < 64; i++)
        {
            r = (r << 1) | ((value >> i) & 1);
        }

        return r;
    }
}
