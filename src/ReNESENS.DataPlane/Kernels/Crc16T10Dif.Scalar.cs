namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc16T10Dif
{
    /// <summary>The generator, normal bit order (x^16 implicit).</summary>
    internal const ushort Polynomial = 0x8BB7;

    private static readonly ushort[] s_tables = CrcTables.CreateNormal16(Polynomial);

    /// <summary>Slice-by-8 table path: runs anywhere.</summary>
    internal static ushort UpdateScalar(ushort register, ReadOnlySpan<byte> source) =>
        CrcTables.UpdateNormal16(register, source, s_tables);
}
