using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The LZ4 block decoder: safe for any input (every length and offset is checked against the
/// spans before a byte moves), fast on valid input (one 16-byte literal copy and an 18-byte match
/// copy for the common short sequence, 32-byte literal and 16-byte match strides where the room
/// left allows them, a pattern expansion for overlapping matches at offsets below 8).
/// </summary>
/// <remarks>
/// A block is sequences of token, literals, 2-byte offset, match; the last sequence has literals
/// only and ends exactly at the end of the block (lz4_Block_format.md). Refused: an empty block,
/// a block that ends after a match or inside a length, literals past the end of the block or of
/// the output, offset 0, an offset reaching before the history, a match past the end of the output.
/// </remarks>
internal static class Lz4BlockDecoder
{
    private const int MinMatch = 4;
    private const int RunMask = 15;

    /// <summary>Source step for offsets 1..7 after the first 4 bytes (liblz4's inc32table).</summary>
    private static ReadOnlySpan<byte> SmallOffsetStep => [0, 1, 2, 1, 0, 4, 4, 4];

    /// <summary>Then the source moves back by this much, so that the distance becomes a multiple of the offset that is at least 8 (liblz4's dec64table, negated where it moves forward).</summary>
    private static ReadOnlySpan<sbyte> SmallOffsetBack => [0, 0, 0, -1, -4, 1, 2, 3];

    /// <summary>
    /// Decodes <paramref name="source"/> into <c>output[prefix..]</c>; matches may reach back into
    /// <c>output[..prefix]</c> (the history: the previous blocks of a linked frame, at most 64 KiB).
    /// </summary>
    /// <returns>Bytes decoded (written after <paramref name="prefix"/>), or -1 when the block is corrupt or does not fit.</returns>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> output, int prefix)
    {
        if ((uint)prefix > (uint)output.Length)
        {
            KernelThrowHelper.ThrowArgumentOutOfRange(nameof(prefix), prefix, "The history is longer than the output span.");
        }

        // All reads and writes below go through refs into source and output. The invariants:
        // ip < iend before a token or length byte is read; literal and match lengths are compared
        // (unsigned) with the room left in both spans before any copy; a copy that moves more bytes
        // than asked (16/32-byte literals, 8/16-byte match strides) only runs when the room left
        // beyond the sequence covers the overrun; a match source is op - offset with 1 <= offset <= op.
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(output);
        nint iend = source.Length;
        nint oend = output.Length;
        nint ip = 0;
        nint op = prefix;

        // The short path needs 16 readable bytes after the token (literals and offset: ip before
        // the token < iend - 16) and 32 writable bytes (16 literal bytes, then an 18-byte match at
        // most 14 bytes further). An empty block fails the first test and then ip >= iend.
        nint iShort = iend - 16;
        nint oShort = oend - 32;
        nint token;
        nint literals;
        nint offset;
        nint matchLength;
        while (true)
        {
            if (ip < iShort && op <= oShort)
            {
                token = Unsafe.Add(ref src, ip++);
                literals = token >> 4;
                if (literals != RunMask)
                {
                    // ip + 16 <= iend and op + 16 <= oend.
                    Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, op), ref Unsafe.Add(ref src, ip), 16);
                    op += literals;
                    ip += literals;

                    // literals <= 14, so ip <= iend - 2: not the last sequence, and the offset is in.
                    offset = ReadLE16(ref src, ip);
                    ip += 2;
                    matchLength = token & RunMask;
                    if (matchLength != RunMask && offset >= 8 && offset <= op)
                    {
                        // op <= oend - 18 (it moved at most 14 from oend - 32): a match of at most
                        // 18 bytes at offset >= 8 is three stores, each reading bytes already written.
                        ref byte d = ref Unsafe.Add(ref dst, op);
                        ref byte m = ref Unsafe.Add(ref dst, op - offset);
                        Unsafe.WriteUnaligned(ref d, Unsafe.ReadUnaligned<ulong>(ref m));
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref m, 8)));
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 16), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref m, 16)));
                        op += matchLength + MinMatch;
                        continue;
                    }

                    goto Match;
                }
            }
            else
            {
                if (ip >= iend)
                {
                    // A block ends with literals, never after a match.
                    return -1;
                }

                token = Unsafe.Add(ref src, ip++);
                literals = token >> 4;
            }

            if (literals == RunMask)
            {
                nint more = ReadLength(ref src, ref ip, iend);
                if (more < 0)
                {
                    return -1;
                }

                literals += more;
            }

            if ((nuint)literals > (nuint)(iend - ip) || (nuint)literals > (nuint)(oend - op))
            {
                return -1;
            }

            if (literals == iend - ip)
            {
                // The last sequence: literals only, ending the block.
                source.Slice((int)ip, (int)literals).CopyTo(output[(int)op..]);
                return (int)(op + literals - prefix);
            }

            if (literals <= iend - ip - 32 && literals <= oend - op - 32)
            {
                // 32-byte strides overrun by at most 31 bytes, inside the 32 checked.
                WildCopy32(ref Unsafe.Add(ref dst, op), ref Unsafe.Add(ref src, ip), literals);
            }
            else
            {
                source.Slice((int)ip, (int)literals).CopyTo(output[(int)op..]);
            }

            op += literals;
            ip += literals;
            if (iend - ip < 2)
            {
                return -1;
            }

            offset = ReadLE16(ref src, ip);
            ip += 2;
            matchLength = token & RunMask;

        Match:
            if (matchLength == RunMask)
            {
                nint more = ReadLength(ref src, ref ip, iend);
                if (more < 0)
                {
                    return -1;
                }

                matchLength += more;
            }

            matchLength += MinMatch;
            if (offset == 0 || offset > op || (nuint)matchLength > (nuint)(oend - op))
            {
                return -1;
            }

            CopyMatch(ref dst, op, offset, matchLength, oend);
            op += matchLength;
        }
    }

    /// <summary>
    /// Copies a match of <paramref name="length"/> bytes from <paramref name="offset"/> back
    /// (1 &lt;= offset &lt;= op, op + length &lt;= oend, both checked by the caller).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyMatch(ref byte dst, nint op, nint offset, nint length, nint oend)
    {
        ref byte d = ref Unsafe.Add(ref dst, op);
        ref byte m = ref Unsafe.Add(ref dst, op - offset);
        if (oend - op >= length + 16)
        {
            CopyMatchWithSlack(ref d, ref m, offset, length);
            return;
        }

        // Near the end of the output: all but the last 16 bytes in strides (their overrun stays
        // inside the match, rewritten below), then byte by byte.
        nint head = length - 16;
        if (head > 0)
        {
            CopyMatchWithSlack(ref d, ref m, offset, head);
        }
        else
        {
            head = 0;
        }

        for (nint i = head; i < length; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref m, i);
        }
    }

    /// <summary>
    /// Copies a match of <paramref name="length"/> bytes from <paramref name="m"/> (<paramref name="offset"/>
    /// bytes before <paramref name="d"/>) when at least 16 writable bytes follow it: strides may overrun by 15.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyMatchWithSlack(ref byte d, ref byte m, nint offset, nint length)
    {
        if (offset >= 16)
        {
            nint i = 0;
            do
            {
                Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref d, i), ref Unsafe.Add(ref m, i), 16);
                i += 16;
            }
            while (i < length);
            return;
        }

        if (offset is 1 or 2 or 4)
        {
            // The pattern fills a register: 8-byte stores of it, no reads of what was just written.
            ulong pattern = offset switch
            {
                1 => m * 0x0101010101010101UL,
                2 => Unsafe.ReadUnaligned<ushort>(ref m) * 0x0001000100010001UL,
                _ => Unsafe.ReadUnaligned<uint>(ref m) * 0x0000000100000001UL,
            };
            if (length >= 256 && offset == 1)
            {
                Unsafe.InitBlockUnaligned(ref d, m, (uint)length);
                return;
            }

            nint i = 0;
            do
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, i), pattern);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, i + 8), pattern);
                i += 16;
            }
            while (i < length);
            return;
        }

        nint from = 0;
        if (offset < 8)
        {
            // Spread the pattern over 8 bytes, then continue from a source a multiple of the
            // offset back that is at least 8 bytes back. The source never moves below m.
            Unsafe.Add(ref d, 0) = Unsafe.Add(ref m, 0);
            Unsafe.Add(ref d, 1) = Unsafe.Add(ref m, 1);
            Unsafe.Add(ref d, 2) = Unsafe.Add(ref m, 2);
            Unsafe.Add(ref d, 3) = Unsafe.Add(ref m, 3);
            from = SmallOffsetStep[(int)offset];
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 4), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref m, from)));
            from -= SmallOffsetBack[(int)offset];
        }
        else
        {
            Unsafe.WriteUnaligned(ref d, Unsafe.ReadUnaligned<ulong>(ref m));
            from = 8;
        }

        // Now the source (m + from) is at least 8 bytes behind d + 8: 8-byte strides read written bytes.
        ref byte s = ref Unsafe.Add(ref m, from);
        for (nint i = 8; i < length; i += 8)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref s, i - 8)));
        }
    }

    /// <summary>The bytes of an extended length (each 255 continues); -1 when the block ends inside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint ReadLength(ref byte src, ref nint ip, nint iend)
    {
        nint length = 0;
        uint b;
        do
        {
            if (ip >= iend)
            {
                return -1;
            }

            b = Unsafe.Add(ref src, ip++);
            length += (nint)b;
        }
        while (b == 255);
        return length;
    }

    /// <summary>Copies <paramref name="length"/> bytes 32 at a time: up to 31 more are read and written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WildCopy32(ref byte destination, ref byte source, nint length)
    {
        nint i = 0;
        do
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref destination, i), ref Unsafe.Add(ref source, i), 32);
            i += 32;
        }
        while (i < length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint ReadLE16(ref byte src, nint at)
    {
        ushort value = Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref src, at));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }
}
