using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Tests.Kernels;

/// <summary>
/// The reference LZ4 implementation, Debian's liblz4 1.9.4 (liblz4-1, installed by the test
/// command), as the peer our block codec must agree with byte for byte. Test-only P/Invoke; the
/// library itself never calls liblz4.
/// </summary>
internal static unsafe partial class Liblz4
{
    public const string Library = "liblz4.so.1";

    [LibraryImport(Library, EntryPoint = "LZ4_versionNumber")]
    public static partial int VersionNumber();

    [LibraryImport(Library, EntryPoint = "LZ4_compressBound")]
    public static partial int CompressBound(int inputSize);

    [LibraryImport(Library, EntryPoint = "LZ4_createStream")]
    public static partial nint CreateStream();

    [LibraryImport(Library, EntryPoint = "LZ4_freeStream")]
    public static partial int FreeStream(nint stream);

    [LibraryImport(Library, EntryPoint = "LZ4_compress_fast_continue")]
    private static partial int CompressFastContinue(nint stream, byte* source, byte* destination, int sourceSize, int destinationCapacity, int acceleration);

    [LibraryImport(Library, EntryPoint = "LZ4_compress_default")]
    private static partial int CompressDefault(byte* source, byte* destination, int sourceSize, int destinationCapacity);

    [LibraryImport(Library, EntryPoint = "LZ4_decompress_safe")]
    private static partial int DecompressSafe(byte* source, byte* destination, int compressedSize, int destinationCapacity);

    [LibraryImport(Library, EntryPoint = "LZ4_decompress_safe_usingDict")]
    private static partial int DecompressSafeUsingDict(byte* source, byte* destination, int compressedSize, int destinationCapacity, byte* dictionary, int dictionarySize);

    /// <summary><c>LZ4_compress_default</c>: bytes written, 0 when the destination is too small.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            return CompressDefault(s, d, source.Length, destination.Length);
        }
    }

    /// <summary><c>LZ4_compress_fast_continue</c> (acceleration 1) of <c>content[start..]</c>, the stream having seen <c>content[..start]</c> in earlier calls.</summary>
    public static int CompressContinue(nint stream, ReadOnlySpan<byte> content, int start, Span<byte> destination)
    {
        fixed (byte* s = content)
        fixed (byte* d = destination)
        {
            return CompressFastContinue(stream, s + start, d, content.Length - start, destination.Length, 1);
        }
    }

    /// <summary><c>LZ4_decompress_safe</c>: bytes written, negative on error.</summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            return DecompressSafe(s, d, source.Length, destination.Length);
        }
    }

    /// <summary><c>LZ4_decompress_safe_usingDict</c> into <c>output[prefix..]</c> with <c>output[..prefix]</c> as the dictionary (contiguous: its prefix mode).</summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> output, int prefix)
    {
        fixed (byte* s = source)
        fixed (byte* d = output)
        {
            return DecompressSafeUsingDict(s, d + prefix, source.Length, output.Length - prefix, d, prefix);
        }
    }
}
