namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc64Nvme
{
    /// <summary>The generator bit-reversed in 64 bits.</summary>
    internal const ulong ReflectedPolynomial = 0x9A6C9329AC4BC9B5;

    private static readonly ulong[] s_tables = CrcTables.CreateReflected(ReflectedPolynomial);

    /// <summary>Slice-by-8 table path: runs anywhere.</summary>
    internal static ulong UpdateScalar(ulong register, ReadOnlySpan<byte> source) =>
        CrcTables.UpdateReflected(register, source, s_tables);
}
