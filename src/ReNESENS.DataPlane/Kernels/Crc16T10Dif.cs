using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// CRC-16/T10-DIF: the 16-bit protection-information guard of SBC-3 and of the NVMe NVM Command
/// Set ("16b CRC"). Generator 0x8BB7, MSB first, register initialised to 0, no final inversion; the
/// check value of "123456789" is 0xD0DB.
/// </summary>
/// <remarks>
/// <para>With no inversion the finished CRC is the register: <see cref="Append"/> continues from the
/// CRC of the preceding bytes (0 for none), <c>Append(Compute(a), b) == Compute(a + b)</c>, and
/// ISA-L's <c>crc16_t10dif(0, buf, len)</c> gives the same value. The guard is stored big-endian.</para>
/// <para>Paths: VPCLMULQDQ folding on 512-bit registers (256 bytes and more), 128-bit PCLMULQDQ
/// folding (16 bytes and more), a slice-by-8 table.</para>
/// </remarks>
public static partial class Crc16T10Dif
{
    /// <summary>The CRC of <paramref name="source"/>.</summary>
    /// <param name="source">the bytes.</param>
    /// <returns>the CRC-16/T10-DIF.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Compute(ReadOnlySpan<byte> source) => Update(0, source);

    /// <summary>The CRC of the bytes whose CRC is <paramref name="crc"/> followed by <paramref name="source"/>.</summary>
    /// <param name="crc">the CRC of the preceding bytes, 0 if there are none.</param>
    /// <param name="source">the next bytes.</param>
    /// <returns>the CRC-16/T10-DIF of the whole.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Append(ushort crc, ReadOnlySpan<byte> source) => Update(crc, source);

    /// <summary>Updates the CRC register.</summary>
    // FullOpts, no tiering: under default Dynamic PGO the tier-1 recompilation of this dispatch and
    // the inlined folding loop ran 2.5-4x slower than ISA-L on this project's Zen 5 machine
    // (BenchmarkDotNet, 4 KiB CRC32C: 211 ns vs 77 ns); compiled once with full optimisation it
    // matches ISA-L (DOTNET_TieredPGO=0 showed the same). Re-measure when the JIT changes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ushort Update(ushort register, ReadOnlySpan<byte> source)
    {
        if (source.Length >= CrcFolding.Vector512MinLength && CrcFolding.IsVector512Supported)
        {
            return UpdateVector512(register, source);
        }

        return source.Length >= 16 && CrcFolding.IsPclmulSupported
            ? UpdatePclmul(register, source)
            : UpdateScalar(register, source);
    }
}
