using System.Diagnostics.CodeAnalysis;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>lz4block</c>: the LZ4 block decoder on hostile blocks, checked against a plain
/// reference decoder, and compress-then-decompress round trips of our block encoder.
/// </summary>
/// <remarks>
/// <para>Byte 0 picks the mode. Even: the remaining bytes are one block; bits 1..3 pick the
/// destination length (<see cref="DestinationLengths"/>) and bits 4..5 the history before it
/// (<see cref="HistoryLengths"/>, as a linked frame's previous blocks). The result (bytes or
/// failure) and every output byte must equal those of <see cref="Reference"/>, a byte-at-a-time
/// decoder written straight from lz4_Block_format.md. Odd: bit 1 picks a destination shorter
/// than the bound (by byte 1), the remaining bytes are the content; a block that is written must
/// decode back to the content.</para>
/// <para>The block ends where a guard page starts and the output (history then destination)
/// ends at one too: a read past the block or a write past the destination faults.</para>
/// </remarks>
public static class Lz4BlockTarget
{
    /// <summary>Usable bytes of each guarded region.</summary>
    public const int RegionSize = 512 * 1024;

    /// <summary>Destination lengths the decode mode picks from.</summary>
    public static ReadOnlySpan<int> DestinationLengths => [0, 1, 17, 100, 4096, 65536, 200_000, 300_000];

    /// <summary>History lengths the decode mode picks from.</summary>
    public static ReadOnlySpan<int> HistoryLengths => [0, 1, 1000, 65536];

    private static readonly Lazy<DmaRegion> Input = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<DmaRegion> Output = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<DmaRegion> Block = new(() => GuardedRegion.Create(RegionSize));

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        byte mode = input[0];
        if ((mode & 1) == 0)
        {
            Decode(input[1..], DestinationLengths[(mode >> 1) & 7], HistoryLengths[(mode >> 4) & 3]);
        }
        else if (input.Length >= 2)
        {
            RoundTrip((mode & 2) != 0 ? input[1] + 1 : 0, input[2..]);
        }
    }

    /// <summary>
    /// The format read literally: token, literal length (15 + bytes while 255), literals, then
    /// unless the block ends there a 2-byte offset (1 to the bytes before it) and a match length
    /// (4 + 15 + bytes while 255), copied one byte at a time. Bytes decoded, or -1.
    /// </summary>
    public static int Reference(ReadOnlySpan<byte> block, Span<byte> output, int history)
    {
        int ip = 0;
        int op = history;
        while (true)
        {
            if (ip >= block.Length)
            {
                return -1;
            }

            int token = block[ip++];
            long literals = token >> 4;
            if (literals == 15 && !TryAddLength(block, ref ip, ref literals))
            {
                return -1;
            }

            if (literals > block.Length - ip || literals > output.Length - op)
            {
                return -1;
            }

            for (int i = 0; i < literals; i++)
            {
                output[op++] = block[ip++];
            }

            if (ip == block.Length)
            {
                return op - history;
            }

            if (block.Length - ip < 2)
            {
                return -1;
            }

            int offset = block[ip] | (block[ip + 1] << 8);
            ip += 2;
            long length = token & 15;
            if (length == 15 && !TryAddLength(block, ref ip, ref length))
            {
                return -1;
            }

            length += 4;
            if (offset == 0 || offset > op || length > output.Length - op)
            {
                return -1;
            }

            for (int i = 0; i < length; i++)
            {
                output[op] = output[op - offset];
                op++;
            }
        }
    }

    private static bool TryAddLength(ReadOnlySpan<byte> block, ref int ip, ref long length)
    {
        byte b;
        do
        {
            if (ip >= block.Length)
            {
                return false;
            }

            b = block[ip++];
            length += b;
        }
        while (b == 255);
        return true;
    }

    private static void Decode(ReadOnlySpan<byte> data, int destinationLength, int history)
    {
        ReadOnlySpan<byte> block = GuardedRegion.CopyToEnd(Input.Value, data);
        Span<byte> output = GuardedRegion.EndOf(Output.Value, history + destinationLength);
        for (int i = 0; i < history; i++)
        {
            output[i] = (byte)((i * 131) + 7);
        }

        byte[] expected = output.ToArray();
        int reference = Reference(block, expected, history);
        int written = Lz4BlockDecoder.Decode(block, output, history);
        Check(written == reference, $"decoded {written}, the reference {reference} (history {history}, destination {destinationLength})");
        Check(written < 0 || output[..(history + written)].SequenceEqual(expected.AsSpan(0, history + written)), "decoded bytes differ from the reference");
    }

    private static void RoundTrip(int shortBy, ReadOnlySpan<byte> content)
    {
        ReadOnlySpan<byte> source = GuardedRegion.CopyToEnd(Input.Value, content);
        int bound = Lz4Block.MaxCompressedLength(source.Length);
        int length = Math.Max(0, bound - shortBy);
        if (length > RegionSize)
        {
            return;
        }

        Span<byte> block = GuardedRegion.EndOf(Block.Value, length);
        if (!Lz4Block.TryCompress(source, block, out int written))
        {
            Check(length < bound, $"TryCompress refused a destination of the bound ({bound})");
            return;
        }

        Check((uint)written <= (uint)block.Length, $"TryCompress wrote {written} into {block.Length} bytes");
        Span<byte> output = GuardedRegion.EndOf(Output.Value, source.Length);
        Check(Lz4Block.TryDecompress(block[..written], output, out int decoded), "our own block did not decode");
        Check(decoded == source.Length && output.SequenceEqual(source), "round trip changed the content");
    }

    private static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException($"lz4block: {what}.");
        }
    }
}
