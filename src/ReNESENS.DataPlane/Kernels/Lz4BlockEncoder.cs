using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The LZ4 fast block compressor, written to give exactly the bytes of liblz4 1.9.4's
/// <c>LZ4_compress_default</c> (acceleration 1) and, for blocks that follow earlier data in the
/// same buffer, of <c>LZ4_compress_fast_continue</c> in prefix mode.
/// </summary>
/// <remarks>
/// <para>The algorithm (lz4_Block_format.md for the format; liblz4's single-probe greedy parser):
/// one hash table of 16 KiB, 8192 16-bit positions hashed from 4 bytes for inputs shorter than
/// 64 KiB + 11, else 4096 32-bit positions hashed from 5 bytes; the search step grows by one every
/// 64 misses; a match found is extended backwards over the literals and forwards up to 5 bytes
/// before the end; after a match the position two bytes back is entered and the next position is
/// tried once before searching again; no match starts in the last 12 bytes and the last 5 bytes
/// are always literals. The output bound checks are liblz4's (conservative by a few bytes), so a
/// short destination fails exactly where liblz4's does.</para>
/// <para>Positions in the table are offsets from the start of the span given (the block's start
/// for a single block, the start of the frame's content for linked blocks), so every entry is a
/// position already passed: below the current one and inside the span.</para>
/// </remarks>
internal static class Lz4BlockEncoder
{
    /// <summary>The hash table's size in 32-bit words (16 KiB, liblz4's LZ4_MEMORY_USAGE 14).</summary>
    public const int TableWords = 4096;

    private const int MinMatch = 4;
    private const int MatchFindLimit = 12;
    private const int LastLiterals = 5;
    private const int MinLength = MatchFindLimit + 1;
    private const int SkipTrigger = 6;
    private const int MaxDistance = 65535;
    private const int RunMask = 15;

    /// <summary>Inputs below this use the 16-bit table (liblz4's LZ4_64Klimit).</summary>
    private const int Limit64K = (64 * 1024) + MatchFindLimit - 1;

    /// <summary>
    /// Compresses <paramref name="source"/> as one independent block.
    /// </summary>
    /// <returns>Bytes written, or 0 when <paramref name="destination"/> is too small.</returns>
    [SkipLocalsInit]
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        Span<uint> table = stackalloc uint[TableWords];
        table.Clear();
        return source.Length < Limit64K
            ? Compress<U16Positions>(source, 0, destination, table)
            : Compress<U32Positions>(source, 0, destination, table);
    }

    /// <summary>
    /// Compresses <c>content[start..]</c> as the next block of a linked sequence whose earlier
    /// blocks are <c>content[..start]</c> (which the decoder has as its history), with the table
    /// kept from those blocks (zeroed before the first): <c>LZ4_compress_fast_continue</c>.
    /// </summary>
    /// <returns>Bytes written, or 0 when <paramref name="destination"/> is too small (the block is then stored raw; the table still holds its positions, as liblz4's does).</returns>
    public static int CompressLinked(ReadOnlySpan<byte> content, int start, Span<byte> destination, Span<uint> table)
    {
        if (table.Length != TableWords)
        {
            KernelThrowHelper.ThrowArgument(nameof(table), "The LZ4 hash table is 4096 words.");
        }

        return Compress<U32Positions>(content, start, destination, table);
    }

    /// <summary>The greedy parser over <c>source[start..]</c>; matches may reach back into <c>source[..start]</c>.</summary>
    private static int Compress<T>(ReadOnlySpan<byte> source, int start, Span<byte> destination, Span<uint> tableSpan)
        where T : struct, IPositionTable
    {
        // Unsafe reads and writes below use refs into these three spans. The invariants that keep
        // them inside: every source read is at a position <= iend - 8 for 8-byte reads (hashing only
        // happens below mflimitPlusOne = iend - 11) or <= iend - 4 for 4-byte reads; match positions
        // come from the table (always below the current position); every destination write is
        // preceded by a check against olimit with liblz4's margins; table slots are hashes shifted
        // to fit the table (13 bits of ushort or 12 bits of uint in 16 KiB).
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        ref uint table = ref MemoryMarshal.GetReference(tableSpan);
        nint iend = source.Length;
        nint mflimitPlusOne = iend - MatchFindLimit + 1;
        nint matchLimit = iend - LastLiterals;
        nint olimit = destination.Length;
        nint ip = start;
        nint anchor = start;
        nint op = 0;
        nint match;
        nint token;

        if (iend - start < MinLength)
        {
            goto LastLiteralsRun;
        }

        T.Put(ref table, T.Hash(ref src, ip), (uint)ip);
        ip++;
        uint forwardH = T.Hash(ref src, ip);

        while (true)
        {
            // Find a match: probe one position per step, the step growing every 64 misses.
            {
                nint forwardIp = ip;
                nint step = 1;
                nint searchMatchNb = 1 << SkipTrigger;
                do
                {
                    uint h = forwardH;
                    ip = forwardIp;
                    forwardIp += step;
                    step = searchMatchNb++ >> SkipTrigger;
                    if (forwardIp > mflimitPlusOne)
                    {
                        goto LastLiteralsRun;
                    }

                    match = (nint)T.Get(ref table, h);
                    forwardH = T.Hash(ref src, forwardIp);
                    T.Put(ref table, h, (uint)ip);
                }
                while ((T.CheckDistance && match + MaxDistance < ip) || Read32(ref src, match) != Read32(ref src, ip));
            }

            // Extend backwards over the pending literals.
            while (ip > anchor && match > 0 && Unsafe.Add(ref src, ip - 1) == Unsafe.Add(ref src, match - 1))
            {
                ip--;
                match--;
            }

            // Literal length and literals.
            {
                nint literals = ip - anchor;
                token = op++;
                if (op + literals + (2 + 1 + LastLiterals) + (literals / 255) > olimit)
                {
                    return 0;
                }

                if (literals >= RunMask)
                {
                    nint rest = literals - RunMask;
                    Unsafe.Add(ref dst, token) = RunMask << 4;
                    for (; rest >= 255; rest -= 255)
                    {
                        Unsafe.Add(ref dst, op++) = 255;
                    }

                    Unsafe.Add(ref dst, op++) = (byte)rest;
                }
                else
                {
                    Unsafe.Add(ref dst, token) = (byte)(literals << 4);
                }

                // 8-byte steps may write up to 7 bytes past the literals: the check above left 8,
                // and may read up to 7 past ip, which is at least 12 bytes before iend.
                WildCopy8(ref Unsafe.Add(ref dst, op), ref Unsafe.Add(ref src, anchor), literals);
                op += literals;
            }

        NextMatch:
            // Offset and match length; the match ends at most 5 bytes before the end.
            WriteLE16(ref Unsafe.Add(ref dst, op), (ushort)(ip - match));
            op += 2;
            {
                nint matchCode = Count(ref src, ip + MinMatch, match + MinMatch, matchLimit);
                ip += matchCode + MinMatch;
                if (op + (1 + LastLiterals) + ((matchCode + 240) / 255) > olimit)
                {
                    return 0;
                }

                if (matchCode >= RunMask)
                {
                    Unsafe.Add(ref dst, token) += RunMask;
                    matchCode -= RunMask;

                    // 4 length bytes at a time: the last store ends at most 3 bytes after the
                    // final length byte, within the 6 bytes the check above kept.
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), uint.MaxValue);
                    while (matchCode >= 4 * 255)
                    {
                        op += 4;
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, op), uint.MaxValue);
                        matchCode -= 4 * 255;
                    }

                    op += matchCode / 255;
                    Unsafe.Add(ref dst, op++) = (byte)(matchCode % 255);
                }
                else
                {
                    Unsafe.Add(ref dst, token) += (byte)matchCode;
                }
            }

            anchor = ip;
            if (ip >= mflimitPlusOne)
            {
                break;
            }

            // Enter the position two bytes back, then try the current one once.
            T.Put(ref table, T.Hash(ref src, ip - 2), (uint)(ip - 2));
            {
                uint h = T.Hash(ref src, ip);
                match = (nint)T.Get(ref table, h);
                T.Put(ref table, h, (uint)ip);
                if ((!T.CheckDistance || match + MaxDistance >= ip) && Read32(ref src, match) == Read32(ref src, ip))
                {
                    token = op++;
                    Unsafe.Add(ref dst, token) = 0;
                    goto NextMatch;
                }
            }

            forwardH = T.Hash(ref src, ++ip);
        }

    LastLiteralsRun:
        {
            nint lastRun = iend - anchor;
            if (op + lastRun + 1 + ((lastRun + 255 - RunMask) / 255) > olimit)
            {
                return 0;
            }

            if (lastRun >= RunMask)
            {
                nint rest = lastRun - RunMask;
                Unsafe.Add(ref dst, op++) = RunMask << 4;
                for (; rest >= 255; rest -= 255)
                {
                    Unsafe.Add(ref dst, op++) = 255;
                }

                Unsafe.Add(ref dst, op++) = (byte)rest;
            }
            else
            {
                Unsafe.Add(ref dst, op++) = (byte)(lastRun << 4);
            }

            source.Slice((int)anchor, (int)lastRun).CopyTo(destination[(int)op..]);
            op += lastRun;
        }

        return (int)op;
    }

    /// <summary>Equal bytes at <paramref name="pIn"/> and <paramref name="pMatch"/> (below it), counting no further than <paramref name="pInLimit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Count(ref byte src, nint pIn, nint pMatch, nint pInLimit)
    {
        nint pStart = pIn;
        while (pIn < pInLimit - 7)
        {
            ulong diff = Read64(ref src, pMatch) ^ Read64(ref src, pIn);
            if (!BitConverter.IsLittleEndian)
            {
                diff = BinaryPrimitives.ReverseEndianness(diff);
            }

            if (diff != 0)
            {
                return pIn + (BitOperations.TrailingZeroCount(diff) >> 3) - pStart;
            }

            pIn += 8;
            pMatch += 8;
        }

        if (pIn < pInLimit - 3 && Read32(ref src, pMatch) == Read32(ref src, pIn))
        {
            pIn += 4;
            pMatch += 4;
        }

        if (pIn < pInLimit - 1 && Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, pMatch)) == Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, pIn)))
        {
            pIn += 2;
            pMatch += 2;
        }

        if (pIn < pInLimit && Unsafe.Add(ref src, pMatch) == Unsafe.Add(ref src, pIn))
        {
            pIn++;
        }

        return pIn - pStart;
    }

    /// <summary>Copies <paramref name="length"/> bytes 8 at a time: up to 7 bytes more are read and written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WildCopy8(ref byte destination, ref byte source, nint length)
    {
        nint i = 0;
        do
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i)));
            i += 8;
        }
        while (i < length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Read32(ref byte src, nint at) => Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, at));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read64(ref byte src, nint at) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, at));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteLE16(ref byte at, ushort value) =>
        Unsafe.WriteUnaligned(ref at, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));

    /// <summary>One of liblz4's two table layouts (its tableType byU16 / byU32), as a JIT-specialised policy.</summary>
    private interface IPositionTable
    {
        /// <summary>Whether a candidate may be more than 64 KiB back (never with the 16-bit table: its inputs are shorter).</summary>
        static abstract bool CheckDistance { get; }

        static abstract uint Hash(ref byte src, nint at);

        static abstract uint Get(ref uint table, uint hash);

        static abstract void Put(ref uint table, uint hash, uint position);
    }

    /// <summary>8192 16-bit positions, hashed from 4 bytes (Knuth's multiplicative hash, top 13 bits).</summary>
    private readonly struct U16Positions : IPositionTable
    {
        public static bool CheckDistance => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Hash(ref byte src, nint at) => (ToLittleEndian(Read32(ref src, at)) * 2654435761u) >> (32 - 13);

        // hash < 8192: the 16 KiB table holds 8192 ushorts.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Get(ref uint table, uint hash) => Unsafe.Add(ref Unsafe.As<uint, ushort>(ref table), hash);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put(ref uint table, uint hash, uint position) => Unsafe.Add(ref Unsafe.As<uint, ushort>(ref table), hash) = (ushort)position;

        private static uint ToLittleEndian(uint value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>4096 32-bit positions, hashed from the 5 low bytes of a little-endian 8-byte read (top 12 bits).</summary>
    private readonly struct U32Positions : IPositionTable
    {
        public static bool CheckDistance => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Hash(ref byte src, nint at) => (uint)(((ToLittleEndian(Read64(ref src, at)) << 24) * 889523592379UL) >> (64 - 12));

        // hash < 4096 = TableWords.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Get(ref uint table, uint hash) => Unsafe.Add(ref table, hash);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Put(ref uint table, uint hash, uint position) => Unsafe.Add(ref table, hash) = position;

        private static ulong ToLittleEndian(ulong value) => BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }
}
