using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// A transform namespace: blocks are stored compressed and encrypted at rest through an offload
/// engine's write chain (PI generate, LZ4, AES-XTS with tweak = LBA) and checked on every read
/// through its read chain (decrypt, decompress, PI verify). See docs/offload.md.
/// </summary>
public sealed class NvmeNamespaceTransformOptions
{
    /// <summary>The AES-256-XTS key as 128 hexadecimal digits (64 bytes: data key then tweak key; the halves must differ).</summary>
    public string Key { get; set; } = "";

    /// <summary>Bytes of the inner store holding the stored chunks; 0 sizes it for the worst case (every chunk incompressible).</summary>
    public long StoreSizeBytes { get; set; }

    /// <summary>The engine to run the chains on (the caller keeps owning it); null opens one with <see cref="OffloadEngines.Open"/>.</summary>
    public IOffloadEngine? Engine { get; set; }
}
