namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc16T10Dif
{
    /// <summary>Folding constants for P' = (x^16 + 0x8BB7)·x^48, derived at start (see <see cref="CrcFoldConstants"/>);
    /// the CRC is the top 16 bits of the 64-bit engine state.</summary>
    internal static readonly CrcFoldConstants FoldConstants = new((ulong)Polynomial << 48, reflected: false);

    /// <summary>128-bit PCLMULQDQ folding, then the tail by table; below 16 bytes only the table runs.</summary>
    /// <remarks>Callers check <see cref="CrcFolding.IsPclmulSupported"/>.</remarks>
    internal static ushort UpdatePclmul(ushort register, ReadOnlySpan<byte> source)
    {
        int blocks = source.Length & ~15;
        if (blocks != 0)
        {
            // Fold128 reads exactly `blocks` bytes from the start of source.
            register = (ushort)(CrcFolding.Fold128<NormalBitOrder>((ulong)register << 48, ref CrcTables.First(source), (nuint)blocks, FoldConstants) >> 48);
        }

        return blocks == source.Length ? register : UpdateScalar(register, source[blocks..]);
    }

    /// <summary>512-bit VPCLMULQDQ folding, then the tail; below 256 bytes the 128-bit path runs.</summary>
    /// <remarks>Callers check <see cref="CrcFolding.IsVector512Supported"/>.</remarks>
    internal static ushort UpdateVector512(ushort register, ReadOnlySpan<byte> source)
    {
        if (source.Length < CrcFolding.Vector512MinLength)
        {
            return UpdatePclmul(register, source);
        }

        int blocks = source.Length & ~15;
        // Fold512 reads exactly `blocks` (>= 256) bytes from the start of source.
        register = (ushort)(CrcFolding.Fold512<NormalBitOrder>((ulong)register << 48, ref CrcTables.First(source), (nuint)blocks, FoldConstants) >> 48);
        return blocks == source.Length ? register : UpdateScalar(register, source[blocks..]);
    }
}
