using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The LZ4 frame format (LZ4 Frame Format Description v1.6.x, as the <c>lz4</c> command-line
/// tool writes and reads it): one-shot compress and decompress between caller spans, no allocation.
/// </summary>
/// <remarks>
/// <para>Frame: magic 0x184D2204 (LE), descriptor (FLG, BD, optional 8-byte content size, optional
/// 4-byte dictionary id, header checksum = second byte of xxh32(descriptor)), blocks (4-byte LE size,
/// high bit = stored uncompressed, then the data and an optional xxh32 of the data as stored),
/// end mark 0, optional xxh32 of the content. All xxh32 use seed 0.</para>
/// <para>The decoder takes a sequence of frames: LZ4 frames are decoded one after the other into
/// the destination and skippable frames (magic 0x184D2A50..5F) are skipped, as <c>lz4 -d</c> does.
/// Hostile input never throws and never reads or writes outside the spans given.</para>
/// </remarks>
public static class Lz4Frame
{
    /// <summary>The magic number that opens an LZ4 frame (little-endian on the wire).</summary>
    public const uint Magic = 0x184D2204;

    /// <summary>The legacy format's magic (<c>lz4 -l</c>), refused with <see cref="Lz4FrameStatus.LegacyFormat"/>.</summary>
    public const uint LegacyMagic = 0x184C2102;

    /// <summary>Skippable frames have magics 0x184D2A50 to 0x184D2A5F.</summary>
    public const uint SkippableMagicBase = 0x184D2A50;

    private const int FlgVersionShift = 6;
    private const byte FlgBlockIndependence = 0x20;
    private const byte FlgBlockChecksum = 0x10;
    private const byte FlgContentSize = 0x08;
    private const byte FlgContentChecksum = 0x04;
    private const byte FlgReserved = 0x02;
    private const byte FlgDictId = 0x01;
    private const byte BdReserved = 0x8F;
    private const uint UncompressedBit = 0x80000000;

    /// <summary>LZ4 offsets are 16-bit: a linked block sees at most the previous 64 KiB.</summary>
    private const int WindowSize = 64 * 1024;

    /// <summary>The block maximum size in bytes of <paramref name="blockSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not one of the enum's values.</exception>
    public static int BlockBytes(Lz4BlockSize blockSize) => blockSize switch
    {
        Lz4BlockSize.Default or Lz4BlockSize.Max64KB => 64 * 1024,
        Lz4BlockSize.Max256KB => 256 * 1024,
        Lz4BlockSize.Max1MB => 1024 * 1024,
        Lz4BlockSize.Max4MB => 4 * 1024 * 1024,
        _ => ThrowBlockSize(blockSize),
    };

    /// <summary>
    /// The largest frame <see cref="TryCompress"/> can write for <paramref name="length"/> bytes with
    /// <paramref name="options"/> (incompressible blocks are stored, so this is the content plus the
    /// framing).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or the bound does not fit an <see cref="int"/>.</exception>
    public static int MaxCompressedLength(int length, in Lz4FrameOptions options)
    {
        if (length < 0)
        {
            Lz4ThrowHelper.ThrowLengthOutOfRange(length);
        }

        long blockBytes = options.BlockBytes;
        long blocks = (length + blockBytes - 1) / blockBytes;
        long total = HeaderLength(options) + (blocks * (options.BlockChecksum ? 8 : 4)) + length + 4 + (options.ContentChecksum ? 4 : 0);
        if (total > int.MaxValue)
        {
            Lz4ThrowHelper.ThrowLengthOutOfRange(length);
        }

        return (int)total;
    }

    /// <summary>Writes <paramref name="source"/> as one LZ4 frame; throws if <paramref name="destination"/> is too small.</summary>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is smaller than the frame (use <see cref="MaxCompressedLength"/>).</exception>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, in Lz4FrameOptions options)
    {
        if (!TryCompress(source, destination, options, out int written))
        {
            Lz4ThrowHelper.ThrowDestinationTooSmall(destination.Length, MaxCompressedLength(source.Length, options), nameof(destination));
        }

        return written;
    }

    /// <summary>Writes <paramref name="source"/> as one LZ4 frame.</summary>
    /// <returns>False when <paramref name="destination"/> is too small; a destination of <see cref="MaxCompressedLength"/> bytes always suffices.</returns>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, in Lz4FrameOptions options, out int written)
    {
        written = 0;
        int blockBytes = options.BlockBytes;
        int level = options.Level;
        if ((uint)level > 12)
        {
            Lz4ThrowHelper.ThrowLevelOutOfRange(level);
        }

        int at = WriteHeader(destination, source.Length, options);
        if (at < 0)
        {
            return false;
        }

        int trailer = options.BlockChecksum ? 4 : 0;
        bool ok = options.LinkedBlocks
            ? WriteLinkedBlocks(source, destination, blockBytes, trailer, ref at)
            : WriteIndependentBlocks(source, destination, blockBytes, trailer, level, ref at);
        if (!ok || destination.Length - at < 4 + (options.ContentChecksum ? 4 : 0))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], 0);
        at += 4;
        if (options.ContentChecksum)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], XxHash32.HashToUInt32(source));
            at += 4;
        }

        written = at;
        return true;
    }

    /// <summary>
    /// Decodes the frames in <paramref name="source"/> (LZ4 frames and skippable frames, which are
    /// skipped) into <paramref name="destination"/>, checking every checksum and size the frames carry.
    /// </summary>
    /// <param name="source">One or more whole frames; bytes after the last frame are an error.</param>
    /// <param name="destination">Receives the content of all frames, back to back.</param>
    /// <param name="written">Bytes of content on <see cref="Lz4FrameStatus.Ok"/>; 0 otherwise (what was written before the error is not to be trusted).</param>
    /// <returns>
    /// <see cref="Lz4FrameStatus.Ok"/> or the first problem found. A compressed block that does not
    /// fit the room left in <paramref name="destination"/> gives <see cref="Lz4FrameStatus.OutputTooSmall"/>
    /// when the frame has no content size (the block format cannot tell overflow from corruption),
    /// <see cref="Lz4FrameStatus.CorruptBlock"/> when it has one that fits.
    /// </returns>
    public static Lz4FrameStatus TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        if (source.IsEmpty)
        {
            return Lz4FrameStatus.Truncated;
        }

        int at = 0;
        int produced = 0;
        while (at < source.Length)
        {
            ReadOnlySpan<byte> rest = source[at..];
            if (rest.Length < 4)
            {
                return Lz4FrameStatus.Truncated;
            }

            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(rest);
            if ((magic & 0xFFFFFFF0) == SkippableMagicBase)
            {
                if (rest.Length < 8)
                {
                    return Lz4FrameStatus.Truncated;
                }

                uint size = BinaryPrimitives.ReadUInt32LittleEndian(rest[4..]);
                if (size > (uint)(rest.Length - 8))
                {
                    return Lz4FrameStatus.Truncated;
                }

                at += 8 + (int)size;
                continue;
            }

            if (magic == LegacyMagic)
            {
                return Lz4FrameStatus.LegacyFormat;
            }

            if (magic != Magic)
            {
                return Lz4FrameStatus.BadMagic;
            }

            Lz4FrameStatus status = DecodeFrame(rest, destination, ref produced, out int consumed);
            if (status != Lz4FrameStatus.Ok)
            {
                return status;
            }

            at += consumed;
        }

        written = produced;
        return Lz4FrameStatus.Ok;
    }

    /// <summary>Decodes one LZ4 frame at the start of <paramref name="frame"/> (magic already checked).</summary>
    private static Lz4FrameStatus DecodeFrame(ReadOnlySpan<byte> frame, Span<byte> destination, ref int produced, out int consumed)
    {
        consumed = 0;
        if (frame.Length < 7)
        {
            return Lz4FrameStatus.Truncated;
        }

        byte flg = frame[4];
        byte bd = frame[5];
        if (flg >> FlgVersionShift != 1)
        {
            return Lz4FrameStatus.UnsupportedVersion;
        }

        int blockSizeId = (bd >> 4) & 7;
        if ((flg & FlgReserved) != 0 || (bd & BdReserved) != 0 || blockSizeId < 4)
        {
            return Lz4FrameStatus.ReservedBitSet;
        }

        bool hasContentSize = (flg & FlgContentSize) != 0;
        int descriptorLength = 2 + (hasContentSize ? 8 : 0) + ((flg & FlgDictId) != 0 ? 4 : 0);
        if (frame.Length < 4 + descriptorLength + 1)
        {
            return Lz4FrameStatus.Truncated;
        }

        ReadOnlySpan<byte> descriptor = frame.Slice(4, descriptorLength);
        if ((byte)(XxHash32.HashToUInt32(descriptor) >> 8) != frame[4 + descriptorLength])
        {
            return Lz4FrameStatus.BadHeaderChecksum;
        }

        if ((flg & FlgDictId) != 0)
        {
            return Lz4FrameStatus.DictionaryRequired;
        }

        int frameStart = produced;
        int room = destination.Length - frameStart;
        ulong contentSize = hasContentSize ? BinaryPrimitives.ReadUInt64LittleEndian(descriptor[2..]) : 0;
        if (hasContentSize && contentSize > (ulong)room)
        {
            return Lz4FrameStatus.OutputTooSmall;
        }

        int blockBytes = BlockBytes((Lz4BlockSize)blockSizeId);
        bool linked = (flg & FlgBlockIndependence) == 0;
        int trailer = (flg & FlgBlockChecksum) != 0 ? 4 : 0;
        int at = 4 + descriptorLength + 1;
        int pos = frameStart;
        while (true)
        {
            if (frame.Length - at < 4)
            {
                return Lz4FrameStatus.Truncated;
            }

            uint field = BinaryPrimitives.ReadUInt32LittleEndian(frame[at..]);
            at += 4;
            if (field == 0)
            {
                break;
            }

            int length = (int)(field & ~UncompressedBit);
            if (length > blockBytes)
            {
                return Lz4FrameStatus.BlockTooLarge;
            }

            if (frame.Length - at < length + trailer)
            {
                return Lz4FrameStatus.Truncated;
            }

            ReadOnlySpan<byte> block = frame.Slice(at, length);
            if (trailer != 0 && XxHash32.HashToUInt32(block) != BinaryPrimitives.ReadUInt32LittleEndian(frame[(at + length)..]))
            {
                return Lz4FrameStatus.BlockChecksumMismatch;
            }

            at += length + trailer;
            int free = destination.Length - pos;
            if ((field & UncompressedBit) != 0)
            {
                if (length > free)
                {
                    return Lz4FrameStatus.OutputTooSmall;
                }

                block.CopyTo(destination[pos..]);
                pos += length;
                continue;
            }

            // A linked block sees the frame's previous 64 KiB of output as its history.
            bool windowCut = free < blockBytes;
            int history = linked ? Math.Min(pos - frameStart, WindowSize) : 0;
            Span<byte> window = destination.Slice(pos - history, history + (windowCut ? free : blockBytes));
            int n = Lz4BlockDecoder.Decode(block, window, history);
            if (n < 0)
            {
                return windowCut && !hasContentSize ? Lz4FrameStatus.OutputTooSmall : Lz4FrameStatus.CorruptBlock;
            }

            pos += n;
        }

        if (hasContentSize && (ulong)(pos - frameStart) != contentSize)
        {
            return Lz4FrameStatus.ContentSizeMismatch;
        }

        if ((flg & FlgContentChecksum) != 0)
        {
            if (frame.Length - at < 4)
            {
                return Lz4FrameStatus.Truncated;
            }

            if (XxHash32.HashToUInt32(destination[frameStart..pos]) != BinaryPrimitives.ReadUInt32LittleEndian(frame[at..]))
            {
                return Lz4FrameStatus.ContentChecksumMismatch;
            }

            at += 4;
        }

        produced = pos;
        consumed = at;
        return Lz4FrameStatus.Ok;
    }

    private static int HeaderLength(in Lz4FrameOptions options) => 4 + 2 + (options.ContentSize ? 8 : 0) + 1;

    /// <summary>Writes magic and descriptor; returns the bytes written, or -1 when they do not fit.</summary>
    private static int WriteHeader(Span<byte> destination, int contentLength, in Lz4FrameOptions options)
    {
        int length = HeaderLength(options);
        if (destination.Length < length)
        {
            return -1;
        }

        byte flg = (byte)((1 << FlgVersionShift)
            | (options.LinkedBlocks ? 0 : FlgBlockIndependence)
            | (options.BlockChecksum ? FlgBlockChecksum : 0)
            | (options.ContentSize ? FlgContentSize : 0)
            | (options.ContentChecksum ? FlgContentChecksum : 0));
        int blockSizeId = options.BlockSize == Lz4BlockSize.Default ? (int)Lz4BlockSize.Max64KB : (int)options.BlockSize;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = flg;
        destination[5] = (byte)(blockSizeId << 4);
        if (options.ContentSize)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[6..], (ulong)contentLength);
        }

        destination[length - 1] = (byte)(XxHash32.HashToUInt32(destination[4..(length - 1)]) >> 8);
        return length;
    }

    private static bool WriteIndependentBlocks(ReadOnlySpan<byte> source, Span<byte> destination, int blockBytes, int trailer, int level, ref int at)
    {
        for (int offset = 0; offset < source.Length; offset += blockBytes)
        {
            ReadOnlySpan<byte> chunk = source.Slice(offset, Math.Min(blockBytes, source.Length - offset));
            int room = destination.Length - at - 4 - trailer;
            if (room < 1)
            {
                return false;
            }

            // Compressed only when it saves a byte (as lz4frame does): a target one byte shorter
            // than the chunk fails (0) on data that does not shrink, which is then stored as it is.
            Span<byte> target = destination.Slice(at + 4, Math.Min(room, chunk.Length - 1));
            int n = Lz4Block.Compress(chunk, target, level);
            if (!FinishBlock(chunk, destination, n, trailer, ref at))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Linked blocks at the fast level: each block compressed with the content before it as history,
    /// one hash table kept over the frame (liblz4's <c>LZ4_compress_fast_continue</c> on contiguous blocks).
    /// </summary>
    [SkipLocalsInit]
    private static bool WriteLinkedBlocks(ReadOnlySpan<byte> source, Span<byte> destination, int blockBytes, int trailer, ref int at)
    {
        Span<uint> table = stackalloc uint[Lz4BlockEncoder.TableWords];
        table.Clear();
        for (int offset = 0; offset < source.Length; offset += blockBytes)
        {
            int end = offset + Math.Min(blockBytes, source.Length - offset);
            int room = destination.Length - at - 4 - trailer;
            if (room < 1)
            {
                return false;
            }

            // A failed (too small) attempt still enters the chunk into the table, as liblz4's
            // stream does; the decoder has the chunk too once it is stored uncompressed.
            Span<byte> target = destination.Slice(at + 4, Math.Min(room, end - offset - 1));
            int n = Lz4BlockEncoder.CompressLinked(source[..end], offset, target, table);
            if (!FinishBlock(source[offset..end], destination, n, trailer, ref at))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Completes the block whose compressed form (<paramref name="compressed"/> bytes, or 0 when
    /// compression did not pay) sits after a 4-byte gap at <paramref name="at"/>: size field, the data
    /// stored raw when needed, and the checksum.
    /// </summary>
    private static bool FinishBlock(ReadOnlySpan<byte> chunk, Span<byte> destination, int compressed, int trailer, ref int at)
    {
        uint field;
        int length;
        if (compressed > 0)
        {
            length = compressed;
            field = (uint)compressed;
        }
        else
        {
            length = chunk.Length;
            if (destination.Length - at - 4 - trailer < length)
            {
                return false;
            }

            chunk.CopyTo(destination[(at + 4)..]);
            field = (uint)length | UncompressedBit;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], field);
        at += 4;
        if (trailer != 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(at + length)..], XxHash32.HashToUInt32(destination.Slice(at, length)));
        }

        at += length + trailer;
        return true;
    }

    private static int ThrowBlockSize(Lz4BlockSize blockSize)
    {
        Lz4ThrowHelper.ThrowBlockSizeOutOfRange(blockSize);
        return 0;
    }
}
