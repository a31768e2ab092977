namespace ReNESENS.DataPlane.Kernels;

/// <summary>What <see cref="Lz4Frame.TryDecompress"/> made of its input.</summary>
public enum Lz4FrameStatus
{
    /// <summary>Every frame decoded and every checksum present matched.</summary>
    Ok = 0,

    /// <summary>The input ends inside a frame (or is empty).</summary>
    Truncated,

    /// <summary>The input does not start with the LZ4 frame magic 0x184D2204 nor a skippable frame's.</summary>
    BadMagic,

    /// <summary>The frame descriptor's checksum byte does not match.</summary>
    BadHeaderChecksum,

    /// <summary>The FLG version field is not 01.</summary>
    UnsupportedVersion,

    /// <summary>A reserved bit of FLG or BD is set, or BD names a block size below 4 (reserved values).</summary>
    ReservedBitSet,

    /// <summary>A block is larger than the frame's block maximum size.</summary>
    BlockTooLarge,

    /// <summary>A compressed block is not valid LZ4 (or refers outside its window).</summary>
    CorruptBlock,

    /// <summary>A block's xxh32 does not match.</summary>
    BlockChecksumMismatch,

    /// <summary>The content's xxh32 does not match.</summary>
    ContentChecksumMismatch,

    /// <summary>The decoded length differs from the content size in the header.</summary>
    ContentSizeMismatch,

    /// <summary>The content does not fit the destination.</summary>
    OutputTooSmall,

    /// <summary>The input is the legacy frame format (magic 0x184C2102, <c>lz4 -l</c>), which this decoder refuses.</summary>
    LegacyFormat,

    /// <summary>The frame needs a preset dictionary (DictID flag), which this decoder does not have.</summary>
    DictionaryRequired,
}
