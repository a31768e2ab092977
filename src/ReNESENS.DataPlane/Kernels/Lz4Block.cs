using K4os.Compression.LZ4;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The LZ4 block format (no header, no checksum) on the K4os software path: span in, span out,
/// no allocation.
/// </summary>
/// <remarks>
/// A block carries no length: the caller keeps the compressed and the decompressed sizes. Corrupt
/// or hostile input never throws and never reads or writes outside the spans given.
/// </remarks>
public static class Lz4Block
{
    /// <summary>Largest input a block may hold (the LZ4 format's limit, 0x7E000000 bytes).</summary>
    public const int MaxInputLength = 0x7E000000;

    /// <summary>
    /// The worst-case compressed size of <paramref name="length"/> input bytes: a destination of
    /// this size never makes <see cref="TryCompress(ReadOnlySpan{byte}, Span{byte}, out int)"/> fail.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or above <see cref="MaxInputLength"/>.</exception>
    public static int MaxCompressedLength(int length)
    {
        if ((uint)length > MaxInputLength)
        {
            Lz4ThrowHelper.ThrowLengthOutOfRange(length);
        }

        // LZ4's bound: one extra byte per 255 incompressible bytes plus 16.
        return length + (length / 255) + 16;
    }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/> at the fast level.</summary>
    /// <returns>False when <paramref name="destination"/> is too small (nothing useful was written).</returns>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written) =>
        TryCompress(source, destination, 0, out written);

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/>:
    /// <paramref name="level"/> 0 to 2 is the fast compressor, 3 to 12 the high-compression one
    /// (as <c>lz4 -3</c> .. <c>-12</c>).
    /// </summary>
    /// <returns>False when <paramref name="destination"/> is too small (nothing useful was written).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..12 or the source is longer than <see cref="MaxInputLength"/>.</exception>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, int level, out int written)
    {
        LZ4Level k4osLevel = ToK4osLevel(level);
        if (source.Length > MaxInputLength)
        {
            Lz4ThrowHelper.ThrowLengthOutOfRange(source.Length);
        }

        if (source.IsEmpty)
        {
            // K4os writes nothing for an empty input; the format's empty block is one zero token.
            if (destination.IsEmpty)
            {
                written = 0;
                return false;
            }

            destination[0] = 0;
            written = 1;
            return true;
        }

        int n = LZ4Codec.Encode(source, destination, k4osLevel);
        written = n > 0 ? n : 0;
        return n > 0;
    }

    /// <summary>
    /// Decompresses one block from <paramref name="source"/> into <paramref name="destination"/>.
    /// </summary>
    /// <returns>
    /// False when the block is corrupt or decompresses to more than <paramref name="destination"/>
    /// holds (the block format cannot tell these apart); <paramref name="written"/> is then 0 and
    /// the bytes of <paramref name="destination"/> are unspecified.
    /// </returns>
    public static bool TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        int n = Decode(source, destination);
        written = n > 0 ? n : 0;
        return n >= 0;
    }

    /// <summary>
    /// Decompresses a block that may refer back to <paramref name="dictionary"/> (the up to 64 KiB
    /// of data that precede it: in a linked LZ4 frame, the previous output). When the dictionary
    /// ends where <paramref name="destination"/> starts, K4os takes its faster prefix path.
    /// </summary>
    /// <returns>Bytes written, or -1 when the block is corrupt or does not fit.</returns>
    internal static int Decode(ReadOnlySpan<byte> source, Span<byte> destination, ReadOnlySpan<byte> dictionary)
    {
        if (dictionary.IsEmpty)
        {
            return Decode(source, destination);
        }

        if (IsEmptyBlock(source))
        {
            return 0;
        }

        if (source.IsEmpty || destination.IsEmpty)
        {
            return -1;
        }

        int n = LZ4Codec.Decode(source, destination, dictionary);
        return n >= 0 ? n : -1;
    }

    /// <summary>Decompresses a block with no dictionary. Bytes written, or -1.</summary>
    internal static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // K4os answers 0 for an empty source and -1 for the one-byte empty block: the format says
        // the opposite (a block holds at least its last token).
        if (IsEmptyBlock(source))
        {
            return 0;
        }

        if (source.IsEmpty || destination.IsEmpty)
        {
            return -1;
        }

        int n = LZ4Codec.Decode(source, destination);
        return n >= 0 ? n : -1;
    }

    /// <summary>Maps 0..12 to K4os's levels (its enum has the same numbers; 1 and 2 are the fast level).</summary>
    internal static LZ4Level ToK4osLevel(int level)
    {
        if ((uint)level > 12)
        {
            Lz4ThrowHelper.ThrowLevelOutOfRange(level);
        }

        return level < 3 ? LZ4Level.L00_FAST : (LZ4Level)level;
    }

    private static bool IsEmptyBlock(ReadOnlySpan<byte> source) => source.Length == 1 && source[0] == 0;
}
