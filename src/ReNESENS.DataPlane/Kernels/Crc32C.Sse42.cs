using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Kernels;

public static partial class Crc32C
{
    /// <summary>The SSE4.2 <c>crc32</c> instruction, 8 bytes per step: fastest below <see cref="FoldThreshold"/>.</summary>
    /// <remarks>Callers check <see cref="Sse42.X64.IsSupported"/>.</remarks>
    internal static uint UpdateSse42(uint register, ReadOnlySpan<byte> source)
    {
        Debug.Assert(Sse42.X64.IsSupported);
        ulong crc = register;
        while (source.Length >= 8)
        {
            crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(source));
            source = source[8..];
        }

        uint crc32 = (uint)crc;
        if (source.Length >= 4)
        {
            crc32 = Sse42.Crc32(crc32, BinaryPrimitives.ReadUInt32LittleEndian(source));
            source = source[4..];
        }

        if (source.Length >= 2)
        {
            crc32 = Sse42.Crc32(crc32, BinaryPrimitives.ReadUInt16LittleEndian(source));
            source = source[2..];
        }

        if (!source.IsEmpty)
        {
            crc32 = Sse42.Crc32(crc32, source[0]);
        }

        return crc32;
    }
}
