namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc32C
{
    /// <summary>The generator bit-reversed in 32 bits.</summary>
    internal const uint ReflectedPolynomial = 0x82F63B78;

    private static readonly ulong[] s_tables = CrcTables.CreateReflected(ReflectedPolynomial);

    /// <summary>Slice-by-8 table path: runs anywhere.</summary>
    internal static uint UpdateScalar(uint register, ReadOnlySpan<byte> source) =>
        (uint)CrcTables.UpdateReflected(register, source, s_tables);
}
