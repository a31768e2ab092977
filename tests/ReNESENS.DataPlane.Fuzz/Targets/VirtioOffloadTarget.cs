using System.Diagnostics.CodeAnalysis;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>virtio-offload</c>: what a <see cref="TapPort"/> and the switch do with a frame from the kernel or a
/// guest. The input is a 12-byte virtio-net header and the frame; the header is applied with
/// <see cref="VirtioNetHeader.TryApplyTo"/> and, when accepted, <see cref="SoftwareOffloads.PrepareForTransmit"/>
/// completes the checksum or segments the superframe for a port with no offloads at all.
/// </summary>
/// <remarks>
/// No exception is expected from any input; segment counts stay inside the output, every buffer goes back to its
/// pool, and a refused packet is left untouched in length.
/// </remarks>
public static class VirtioOffloadTarget
{
    private static readonly Lazy<BufferPool> Frames = new(() => BufferPool.Create(4, 70_000, cacheSize: 0));
    private static readonly Lazy<BufferPool> Segments = new(() => BufferPool.Create(128, 2048, cacheSize: 0));

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < VirtioNetHeader.Size)
        {
            return;
        }

        BufferPool frames = Frames.Value;
        BufferPool segments = Segments.Value;
        Check(frames.TryRent(out PacketBuffer? packet), "frame pool exhausted");
        ReadOnlySpan<byte> frame = input[VirtioNetHeader.Size..];
        frame[..Math.Min(frame.Length, packet.Tailroom)].CopyTo(packet.Append(Math.Min(frame.Length, packet.Tailroom)));
        VirtioNetHeader header = VirtioNetHeader.Read(input);
        int length = packet.PacketLength;
        if (header.TryApplyTo(packet) != VirtioNetHeaderError.None)
        {
            packet.Release();
            return;
        }

        Span<PacketBuffer> output = new PacketBuffer[64];
        OffloadStatus status = SoftwareOffloads.PrepareForTransmit(packet, PortOffloads.None, segments, output, out int count);
        Check(Enum.IsDefined(status), $"status {(int)status} undefined");
        Check((uint)count <= (uint)output.Length, $"{count} segments for a 64-entry output");
        if (status != OffloadStatus.Done)
        {
            Check(count == 0 && packet.PacketLength == length, $"{status} with {count} segments or a changed length");
            packet.Release();
        }

        for (int i = 0; i < count; i++)
        {
            Check(output[i].GsoType == GsoType.None && output[i].ChecksumState != ChecksumState.Partial, "a segment still asks for an offload");
            output[i].Release();
        }

        Check(segments.InUse == 0 && frames.InUse == 0, $"buffers leaked: {segments.InUse} segments, {frames.InUse} frames");
    }

    private static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException($"virtio-offload: {what}.");
        }
    }
}
