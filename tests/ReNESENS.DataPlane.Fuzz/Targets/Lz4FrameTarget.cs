using System.Diagnostics.CodeAnalysis;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>lz4frame</c>: <see cref="Lz4Frame.TryDecompress"/> on hostile frames, and
/// compress-then-decompress round trips of arbitrary content under every frame option.
/// </summary>
/// <remarks>
/// <para>Byte 0 picks the mode. Even: the remaining bytes are frames to decode; bits 1..3 pick the
/// destination length (<see cref="DestinationLengths"/>). Odd: bits 1..7 and byte 1 pick the frame
/// options and the remaining bytes are the content, which must come back unchanged.</para>
/// <para>The input is copied so that it ends where a guard page starts, and every destination
/// (the decoder's output, the encoder's frame) ends at a guard page too: a read past the input or
/// a write past a destination faults (AFL records a crash) even though .NET has no sanitizer.</para>
/// <para>No exception is expected from any input: every one that escapes is a bug.</para>
/// </remarks>
public static class Lz4FrameTarget
{
    /// <summary>Usable bytes of each guarded region.</summary>
    public const int RegionSize = 2 * 1024 * 1024;

    /// <summary>Destination lengths the decode mode picks from (0 = the whole region).</summary>
    public static ReadOnlySpan<int> DestinationLengths => [RegionSize, 0, 1, 100, 4096, 65535, 65536, 300_000];

    private static readonly Lazy<DmaRegion> Input = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<DmaRegion> Output = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<DmaRegion> Frame = new(() => GuardedRegion.Create(RegionSize));

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
            Decode(GuardedRegion.CopyToEnd(Input.Value, input[1..]), GuardedRegion.EndOf(Output.Value, DestinationLengths[(mode >> 1) & 7]));
        }
        else if (input.Length >= 2)
        {
            RoundTrip(mode, input[1], input[2..]);
        }
    }

    private static void Decode(ReadOnlySpan<byte> frames, Span<byte> destination)
    {
        Lz4FrameStatus status = Lz4Frame.TryDecompress(frames, destination, out int written);
        Check(Enum.IsDefined(status), $"status {(int)status} is not a defined value");
        Check((uint)written <= (uint)destination.Length, $"written {written} outside the {destination.Length}-byte destination");
        Check(status == Lz4FrameStatus.Ok || written == 0, $"{status} with {written} bytes written");
    }

    private static void RoundTrip(byte mode, byte flags, ReadOnlySpan<byte> content)
    {
        var options = new Lz4FrameOptions
        {
            BlockSize = (Lz4BlockSize)(4 + ((mode >> 1) & 3)),
            LinkedBlocks = (mode & 0x08) != 0,
            BlockChecksum = (mode & 0x10) != 0,
            ContentChecksum = (mode & 0x20) != 0,
            ContentSize = (mode & 0x40) != 0,
            Level = (mode & 0x80) != 0 && (mode & 0x08) == 0 ? (flags % 13) : 0,
        };
        ReadOnlySpan<byte> source = GuardedRegion.CopyToEnd(Input.Value, content);
        int bound = Lz4Frame.MaxCompressedLength(source.Length, options);
        if (bound > RegionSize)
        {
            return;
        }

        // Sometimes a destination shorter than the bound: the encoder must refuse, not overrun.
        int length = (flags & 0x80) != 0 ? bound - (flags & 0x7F) - 1 : bound;
        if (length < 0)
        {
            return;
        }

        Span<byte> frame = GuardedRegion.EndOf(Frame.Value, length);
        if (!Lz4Frame.TryCompress(source, frame, options, out int written))
        {
            Check(length < bound, $"TryCompress refused a destination of the bound ({bound}) with {options}");
            return;
        }

        Check((uint)written <= (uint)frame.Length, $"TryCompress wrote {written} into {frame.Length} bytes");
        Span<byte> output = GuardedRegion.EndOf(Output.Value, source.Length);
        Lz4FrameStatus status = Lz4Frame.TryDecompress(frame[..written], output, out int decoded);
        Check(status == Lz4FrameStatus.Ok, $"our own frame decoded as {status} ({options})");
        Check(decoded == source.Length && output.SequenceEqual(source), $"round trip changed the content ({options})");
    }

    private static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException($"lz4frame: {what}.");
        }
    }
}
