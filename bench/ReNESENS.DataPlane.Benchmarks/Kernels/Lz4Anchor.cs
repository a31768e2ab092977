using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Benchmarks.Kernels;

/// <summary>
/// The native anchor: Debian's liblz4 (liblz4.so.1, the reference C implementation), called
/// directly. Bench-local: the library itself never P/Invokes liblz4.
/// </summary>
internal static unsafe partial class Lz4Anchor
{
    private const string Library = "liblz4.so.1";

    /// <summary><c>int LZ4_compress_default(const char* src, char* dst, int srcSize, int dstCapacity)</c>: bytes written, 0 on failure.</summary>
    [LibraryImport(Library, EntryPoint = "LZ4_compress_default")]
    public static partial int CompressDefault(byte* source, byte* destination, int sourceSize, int destinationCapacity);

    /// <summary><c>int LZ4_decompress_safe(const char* src, char* dst, int compressedSize, int dstCapacity)</c>: bytes written, negative on error.</summary>
    [LibraryImport(Library, EntryPoint = "LZ4_decompress_safe")]
    public static partial int DecompressSafe(byte* source, byte* destination, int compressedSize, int destinationCapacity);

    /// <summary><c>const char* LZ4_versionString(void)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "LZ4_versionString")]
    public static partial nint VersionString();

    public static string Version => Marshal.PtrToStringAnsi(VersionString()) ?? "?";
}
