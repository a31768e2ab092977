namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// How <see cref="Lz4Frame"/> writes a frame. <c>default</c> is independent 64 KiB blocks at
/// the fast level, no block checksums, no content size, and a content checksum.
/// </summary>
public readonly record struct Lz4FrameOptions
{
    private readonly bool _noContentChecksum;

    /// <summary>Block maximum size; <see cref="Lz4BlockSize.Default"/> is 64 KiB.</summary>
    public Lz4BlockSize BlockSize { get; init; }

    /// <summary>
    /// Linked blocks: each block may refer to the previous 64 KiB of content (better ratio on
    /// small blocks). Linked blocks are always compressed at the fast level, with one 16 KiB hash
    /// table (on the stack) kept over the frame, as liblz4's <c>LZ4_compress_fast_continue</c> does.
    /// </summary>
    public bool LinkedBlocks { get; init; }

    /// <summary>An xxh32 after every block (<c>lz4 -BX</c>).</summary>
    public bool BlockChecksum { get; init; }

    /// <summary>An xxh32 of the whole content after the end mark (on by default; <c>lz4 --no-frame-crc</c> turns it off).</summary>
    public bool ContentChecksum
    {
        get => !_noContentChecksum;
        init => _noContentChecksum = !value;
    }

    /// <summary>The content length in the header (<c>lz4 --content-size</c>).</summary>
    public bool ContentSize { get; init; }

    /// <summary>0 to 2: fast; 3 to 12: high compression (as <c>lz4 -3</c> .. <c>-12</c>). Independent blocks only.</summary>
    public int Level { get; init; }

    /// <summary>The block maximum size in bytes.</summary>
    public int BlockBytes => Lz4Frame.BlockBytes(BlockSize);
}
