using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>The reference LZ4 library (Debian's liblz4-1) as an independent peer for the engine's LZ4 output.</summary>
internal static unsafe partial class Liblz4Peer
{
    private const string Library = "liblz4.so.1";

    /// <summary>Decompresses one LZ4 block with <c>LZ4_decompress_safe</c>; the byte count, or negative when liblz4 calls the block malformed.</summary>
    internal static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            return DecompressSafe(s, d, source.Length, destination.Length);
        }
    }

    /// <summary>Compresses with <c>LZ4_compress_default</c>; the byte count, 0 when it does not fit.</summary>
    internal static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            return CompressDefault(s, d, source.Length, destination.Length);
        }
    }

    [LibraryImport(Library, EntryPoint = "LZ4_decompress_safe")]
    private static partial int DecompressSafe(byte* source, byte* destination, int compressedSize, int capacity);

    [LibraryImport(Library, EntryPoint = "LZ4_compress_default")]
    private static partial int CompressDefault(byte* source, byte* destination, int sourceSize, int capacity);
}
