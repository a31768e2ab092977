using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// CRC-64/NVME: the 64-bit protection-information guard of the NVMe NVM Command Set ("64b CRC",
/// the Rocksoft polynomial). Generator 0xAD93D23594C93659 (0x9A6C9329AC4BC9B5 bit-reversed), LSB
/// first, register initialised to all ones and inverted at the end; the check value of "123456789"
/// is 0xAE8B14860A799888.
/// </summary>
/// <remarks>
/// <para><see cref="Compute"/> returns the finished CRC; <see cref="Append"/> takes the finished CRC of
/// the preceding bytes (0 for none), so <c>Append(Compute(a), b) == Compute(a + b)</c>. The same CRC
/// is <c>System.IO.Hashing.Crc64ParameterSet.Nvme</c> (System.IO.Hashing 11).</para>
/// <para>Paths: VPCLMULQDQ folding on 512-bit registers (256 bytes and more), 128-bit PCLMULQDQ
/// folding (16 bytes and more), a slice-by-8 table.</para>
/// </remarks>
public static partial class Crc64Nvme
{
    /// <summary>The CRC of <paramref name="source"/>.</summary>
    /// <param name="source">the bytes.</param>
    /// <returns>the finished CRC-64/NVME.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Compute(ReadOnlySpan<byte> source) => ~Update(ulong.MaxValue, source);

    /// <summary>The CRC of the bytes whose CRC is <paramref name="crc"/> followed by <paramref name="source"/>.</summary>
    /// <param name="crc">the finished CRC of the preceding bytes, 0 if there are none.</param>
    /// <param name="source">the next bytes.</param>
    /// <returns>the finished CRC-64/NVME of the whole.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Append(ulong crc, ReadOnlySpan<byte> source) => ~Update(~crc, source);

    /// <summary>Updates the CRC register (no inversion on either side).</summary>
    // FullOpts, no tiering: under default Dynamic PGO the tier-1 recompilation of this dispatch and
    // the inlined folding loop ran 2.5-4x slower than ISA-L on this project's Zen 5 machine
    // (BenchmarkDotNet, 4 KiB CRC32C: 211 ns vs 77 ns); compiled once with full optimisation it
    // matches ISA-L (DOTNET_TieredPGO=0 showed the same). Re-measure when the JIT changes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ulong Update(ulong register, ReadOnlySpan<byte> source)
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
