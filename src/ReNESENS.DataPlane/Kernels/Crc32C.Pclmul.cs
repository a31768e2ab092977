namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc32C
{
    /// <summary>Folding constants for P' = (x^32 + 0x1EDC6F41)·x^32, derived at start (see <see cref="CrcFoldConstants"/>).</summary>
    internal static readonly CrcFoldConstants FoldConstants = new(0x1EDC6F41UL << 32, reflected: true);

    /// <summary>128-bit PCLMULQDQ folding, then the tail; below 16 bytes only the tail path runs.</summary>
    /// <remarks>Callers check <see cref="CrcFolding.IsPclmulSupported"/>.</remarks>
    internal static uint UpdatePclmul(uint register, ReadOnlySpan<byte> source)
    {
        int blocks = source.Length & ~15;
        if (blocks != 0)
        {
            // Fold128 reads exactly `blocks` bytes from the start of source.
            register = (uint)CrcFolding.Fold128<ReflectedBitOrder>(register, ref CrcTables.First(source), (nuint)blocks, FoldConstants);
        }

        return UpdateTail(register, source[blocks..]);
    }

    /// <summary>512-bit VPCLMULQDQ folding, then the tail; below 256 bytes the 128-bit path runs.</summary>
    /// <remarks>Callers check <see cref="CrcFolding.IsVector512Supported"/>.</remarks>
    internal static uint UpdateVector512(uint register, ReadOnlySpan<byte> source)
    {
        if (source.Length < CrcFolding.Vector512MinLength)
        {
            return UpdatePclmul(register, source);
        }

        int blocks = source.Length & ~15;
        // Fold512 reads exactly `blocks` (>= 256) bytes from the start of source.
        register = (uint)CrcFolding.Fold512<ReflectedBitOrder>(register, ref CrcTables.First(source), (nuint)blocks, FoldConstants);
        return UpdateTail(register, source[blocks..]);
    }
}
