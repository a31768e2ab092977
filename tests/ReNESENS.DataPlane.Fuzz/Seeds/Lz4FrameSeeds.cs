using System.Text;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>
/// Valid starting inputs for <see cref="Targets.Lz4FrameTarget"/>: small frames written by
/// <see cref="Lz4Frame"/> under each option (decode mode, byte 0 = 0), and a few contents for the
/// round-trip mode. The corpus also holds frames written by the <c>lz4</c> CLI (<c>cli-*</c>).
/// </summary>
internal static class Lz4FrameSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        byte[] text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("the packet buffer of the virtqueue, the ring of the guest. ", 8)));
        byte[] mixed = [.. text, .. new byte[300], .. Enumerable.Range(0, 200).Select(i => (byte)(i * 73)), .. text[..100]];

        yield return ("ours-default", Decode(text, default));
        yield return ("ours-empty", Decode([], default));
        yield return ("ours-linked", Decode(mixed, new Lz4FrameOptions { LinkedBlocks = true }));
        yield return ("ours-block-checksum", Decode(mixed, new Lz4FrameOptions { BlockChecksum = true }));
        yield return ("ours-content-size", Decode(text, new Lz4FrameOptions { ContentSize = true, ContentChecksum = false }));
        yield return ("ours-all", Decode(mixed, new Lz4FrameOptions { LinkedBlocks = true, BlockChecksum = true, ContentSize = true, BlockSize = Lz4BlockSize.Max4MB }));
        yield return ("ours-stored", Decode([.. Enumerable.Range(0, 64).Select(i => (byte)(i * 97 + 13))], default));
        byte[] two = [.. Frame(text, default), 0x50, 0x2A, 0x4D, 0x18, 2, 0, 0, 0, 9, 9, .. Frame(mixed, new Lz4FrameOptions { LinkedBlocks = true })];
        yield return ("ours-concatenated-skippable", [0, .. two]);

        yield return ("roundtrip-text", [0x01, 0x00, .. text]);
        yield return ("roundtrip-linked-all", [0x79, 0x00, .. mixed]);
        yield return ("roundtrip-hc", [0xB1, 0x09, .. mixed]);
        yield return ("roundtrip-short-destination", [0x31, 0x85, .. mixed]);
    }

    private static byte[] Decode(byte[] content, Lz4FrameOptions options) => [0, .. Frame(content, options)];

    private static byte[] Frame(byte[] content, Lz4FrameOptions options)
    {
        byte[] frame = new byte[Lz4Frame.MaxCompressedLength(content.Length, options)];
        return frame[..Lz4Frame.Compress(content, frame, options)];
    }
}
