namespace ReNESENS.DataPlane.Offload;

/// <summary>What an <see cref="OffloadOp"/> does. The buffers each kind uses are listed on <see cref="OffloadOp"/>.</summary>
public enum OffloadOpKind
{
    /// <summary>Not an operation (the default value); completes with <see cref="OffloadStatus.InvalidArgument"/>.</summary>
    None = 0,

    /// <summary>CRC32C of Source; the CRC in <see cref="OffloadCompletion.Value"/>.</summary>
    Crc32C = 1,

    /// <summary>CRC-64/NVMe of Source; the CRC in <see cref="OffloadCompletion.Value"/>.</summary>
    Crc64Nvme = 2,

    /// <summary>CRC-16/T10-DIF of Source; the CRC in <see cref="OffloadCompletion.Value"/>.</summary>
    Crc16T10Dif = 3,

    /// <summary>Protection information generate, in place: PI written into Source (interleaved format) or Metadata.</summary>
    PiGenerate = 4,

    /// <summary>Protection information verify of Source and Metadata.</summary>
    PiVerify = 5,

    /// <summary>LZ4 block compress of Source into Destination.</summary>
    Lz4Compress = 6,

    /// <summary>LZ4 block decompress of Source into Destination.</summary>
    Lz4Decompress = 7,

    /// <summary>AES-256-XTS encrypt of Source into Destination: data unit BlockSize, tweak Lba + unit index.</summary>
    XtsEncrypt = 8,

    /// <summary>AES-256-XTS decrypt of Source into Destination: data unit BlockSize, tweak Lba + unit index.</summary>
    XtsDecrypt = 9,

    /// <summary>AES-256-GCM seal of Source into Destination; 16-byte tag into Metadata; Auxiliary holds the 12-byte nonce then the AAD.</summary>
    GcmSeal = 10,

    /// <summary>AES-256-GCM open of Source into Destination; 16-byte tag from Metadata; Auxiliary holds the 12-byte nonce then the AAD.</summary>
    GcmOpen = 11,

    /// <summary>The write chain: PI generate, then LZ4 compress, then XTS encrypt (the steps named by <see cref="OffloadOp.Steps"/>).</summary>
    WriteChain = 12,

    /// <summary>The read chain: XTS decrypt, then LZ4 decompress, then PI verify (the steps named by <see cref="OffloadOp.Steps"/>).</summary>
    ReadChain = 13,
}
