using K4os.Compression.LZ4;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The LZ4 block format (no header, no checksum): span in, span out, no allocation. The fast level
/// and the decoder are ours (<see cref="Lz4BlockEncoder"/>, <see cref="Lz4BlockDecoder"/>); the
/// high-compression levels are K4os's.
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

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> at the fast level:
    /// the same bytes as liblz4 1.9.4's <c>LZ4_compress_default</c>.
    /// </summary>
    /// <returns>False when <paramref name="destination"/> is too small (nothing useful was written).</returns>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written) =>
        TryCompress(source, destination, 0, out written);

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/>:
    /// <paramref name="level"/> 0 to 2 is the fast compressor (the same bytes as liblz4's
    /// <c>LZ4_compress_default</c>), 3 to 12 the high-compression one (as <c>lz4 -3</c> .. <c>-12</c>).
    /// </summary>
    /// <returns>False when <paramref name="destination"/> is too small (nothing useful was written).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..12 or the source is longer than <see cref="MaxInputLength"/>.</exception>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, int level, out int written)
    {
        if ((uint)level > 12)
        {
            Lz4ThrowHelper.ThrowLevelOutOfRange(level);
        }

        if (source.Length > MaxInputLength)
        {
            Lz4ThrowHelper.ThrowLengthOutOfRange(source.Length);
        }

        written = Compress(source, destination, level);
        return written > 0;
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
        int n = Lz4BlockDecoder.Decode(source, destination, 0);
        written = n > 0 ? n : 0;
        return n >= 0;
    }

    /// <summary>
    /// One independent block at a checked <paramref name="level"/>: ours at the fast level, K4os's
    /// high-compression encoder at 3..12. Bytes written, or 0 when the destination is too small.
    /// </summary>
    internal static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        if (level < 3)
        {
            return Lz4BlockEncoder.Compress(source, destination);
        }

        if (source.IsEmpty)
        {
            // K4os writes nothing for an empty input; the format's empty block is one zero token.
            return Lz4BlockEncoder.Compress(source, destination);
        }

        int n = LZ4Codec.Encode(source, destination, (LZ4Level)level);
        return n > 0 ? n : 0;
    }
}
