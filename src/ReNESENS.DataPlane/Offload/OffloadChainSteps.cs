namespace ReNESENS.DataPlane.Offload;

/// <summary>The steps a <see cref="OffloadOpKind.WriteChain"/> or <see cref="OffloadOpKind.ReadChain"/> runs; always in the chain's fixed order.</summary>
[Flags]
public enum OffloadChainSteps
{
    /// <summary>No step (not a valid chain).</summary>
    None = 0,

    /// <summary>PI generate (write) or PI verify (read) over the logical blocks and Metadata.</summary>
    ProtectionInformation = 1,

    /// <summary>LZ4 block compress (write) or decompress (read).</summary>
    Compression = 2,

    /// <summary>AES-256-XTS encrypt (write) or decrypt (read).</summary>
    Encryption = 4,

    /// <summary>All three steps.</summary>
    All = ProtectionInformation | Compression | Encryption,
}
