namespace ReNESENS.DataPlane.Kernels;

/// <summary>An LZ4 frame's block maximum size (the BD byte's 3-bit field; values 4 to 7).</summary>
public enum Lz4BlockSize
{
    /// <summary>The default: 64 KiB.</summary>
    Default = 0,

    /// <summary>64 KiB (<c>lz4 -B4</c>).</summary>
    Max64KB = 4,

    /// <summary>256 KiB (<c>lz4 -B5</c>).</summary>
    Max256KB = 5,

    /// <summary>1 MiB (<c>lz4 -B6</c>).</summary>
    Max1MB = 6,

    /// <summary>4 MiB (<c>lz4 -B7</c>, the CLI's default).</summary>
    Max4MB = 7,
}
