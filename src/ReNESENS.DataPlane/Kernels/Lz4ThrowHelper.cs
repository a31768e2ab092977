using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>Throws for misuse of the LZ4 kernels (never for bad data), out of line.</summary>
internal static class Lz4ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowLengthOutOfRange(int length) =>
        throw new ArgumentOutOfRangeException(nameof(length), length, $"LZ4 inputs are 0 to {Lz4Block.MaxInputLength} bytes.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowLevelOutOfRange(int level) =>
        throw new ArgumentOutOfRangeException(nameof(level), level, "LZ4 compression levels are 0 to 12.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowBlockSizeOutOfRange(Lz4BlockSize blockSize) =>
        throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "Not an LZ4 frame block maximum size.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowDestinationTooSmall(int length, int required, string paramName) =>
        throw new ArgumentException($"The destination holds {length} bytes; the frame may need up to {required} (Lz4Frame.MaxCompressedLength).", paramName);
}
