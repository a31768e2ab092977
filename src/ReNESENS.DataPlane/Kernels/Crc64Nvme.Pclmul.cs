namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc64Nvme
{
    /// <summary>The generator in normal bit order (x^64 implicit).</summary>
    internal const ulong Polynomial = 0xAD93D23594C93659;

    /// <summary>Folding constants for P' = P, derived at start (see <see cref="CrcFoldConstants"/>).</summary>
    internal static readonly CrcFoldConstants FoldConstants = new(Polynomial, reflected: true);

    /// <summary>128-bit PCLMULQDQ folding, then the tail by table; below 16 bytes only the table runs.</summary>
    /// <remarks>Callers check <see cref="CrcFolding.IsPclmulSupported"/>.</remarks>
    internal static ulong UpdatePclmul(ulong register, ReadOnlySpan<byte> source)
    {
        int blocks = source.Length & ~15;
        if (blocks != 0)
        {
            // Fold128 reads exactly `blocks` bytes from the start of source.
            register = CrcFolding.Fold128<ReflectedBitOrder>(register, ref CrcTables.First(source), (nuint)blocks, FoldConstants);
        }

        return blocks == source.Length ? register : UpdateScalar(register, source[blocks..]);
    }

    /// <summary>512-bit VPCLMULQDQ folding, then the tail; below 256 bytes the 128-bit path runs.</summary>
    /// <remarks>Callers check <see cref="CrcFolding.IsVector512Supported"/>.</remarks>
    internal static ulong UpdateVector512(ulong register, ReadOnlySpan<byte> source)
    {
        if (source.Length < CrcFolding.Vector512MinLength)
        {
            return UpdatePclmul(register, source);
        }

        int blocks = source.Length & ~15;
        // Fold512 reads exactly `blocks` (>= 256) bytes from the start of source.
        register = CrcFolding.Fold512<ReflectedBitOrder>(register, ref CrcTables.First(source), (nuint)blocks, FoldConstants);
        return blocks == source.Length ? register : UpdateScalar(register, source[blocks..]);
    }
}
