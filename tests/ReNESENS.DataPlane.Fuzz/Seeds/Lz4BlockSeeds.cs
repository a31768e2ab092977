using System.Text;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>
/// Valid starting inputs for <see cref="Targets.Lz4BlockTarget"/>: blocks our encoder wrote from
/// text, runs and a pattern (decode mode, with and without history, exact and larger destinations),
/// hand-made blocks with small-offset overlapping matches and long lengths, and round-trip contents.
/// </summary>
internal static class Lz4BlockSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        byte[] text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("the packet buffer of the virtqueue, the ring of the guest. ", 8)));
        byte[] mixed = [.. text, .. new byte[300], .. Enumerable.Range(0, 200).Select(i => (byte)(i * 73)), .. text[..100], .. "abcabcabcabcabcabcabcabcabcabc"u8];

        // Mode byte: bits 1..3 destination index (3 = 100, 4 = 4096), bits 4..5 history index (2 = 1000).
        yield return ("block-text-4096", [0x08, .. Block(text)]);
        yield return ("block-mixed-4096", [0x08, .. Block(mixed)]);
        yield return ("block-mixed-too-small", [0x06, .. Block(mixed)]);
        yield return ("block-empty", [0x00, 0x00]);

        // Literal "abc", then a match at offset 3 of 30 bytes, then 5 literals.
        yield return ("block-offset3", [0x08, 0x3F, (byte)'a', (byte)'b', (byte)'c', 3, 0, 11, 0x50, 1, 2, 3, 4, 5]);

        // Into a 1000-byte history: a match at offset 1000 of 300 bytes (15 + 255 + 26 + 4), then 5 literals.
        yield return ("block-history", [0x28, 0x0F, 0xE8, 0x03, 255, 26, 0x50, 1, 2, 3, 4, 5]);

        yield return ("roundtrip-text", [0x01, 0x00, .. text]);
        yield return ("roundtrip-mixed-short", [0x03, 0x20, .. mixed]);
        yield return ("roundtrip-zeros", [0x01, 0x00, .. new byte[5000]]);
    }

    private static byte[] Block(byte[] content)
    {
        byte[] block = new byte[Lz4Block.MaxCompressedLength(content.Length)];
        Lz4Block.TryCompress(content, block, out int written);
        return block[..written];
    }
}
