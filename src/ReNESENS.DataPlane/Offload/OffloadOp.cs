using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// One operation for an offload engine: a kernel or a chain, its buffers as <see cref="DmaSlice"/>s,
/// a key handle and the parameters of its kind. Plain data: build it in a caller-owned array and
/// submit a span of it; the engine copies what it needs during Submit.
/// </summary>
/// <remarks>
/// <para>Buffers by kind (unused ones stay empty):</para>
/// <list type="bullet">
/// <item>CRCs: <see cref="Source"/>; the CRC comes back in <see cref="OffloadCompletion.Value"/>.</item>
/// <item>PI generate / verify: <see cref="Source"/> holds the blocks (extended blocks when <see cref="PiFormat"/> is interleaved), <see cref="Metadata"/> the separate metadata; generate writes in place.</item>
/// <item>LZ4: <see cref="Source"/> into <see cref="Destination"/>; bytes written in <see cref="OffloadCompletion.BytesProduced"/>.</item>
/// <item>XTS: <see cref="Source"/> into <see cref="Destination"/> (same length; the same slice works in place), data unit <see cref="BlockSize"/>, tweak <see cref="Lba"/> plus the unit index.</item>
/// <item>GCM: <see cref="Source"/> into <see cref="Destination"/> (same length); <see cref="Metadata"/> is the 16-byte tag (written by seal, read by open); <see cref="Auxiliary"/> is the 12-byte nonce followed by the associated data.</item>
/// </list>
/// <para><b>Write chain</b> (<see cref="OffloadOpKind.WriteChain"/>), the steps named by <see cref="Steps"/> in this order:</para>
/// <list type="number">
/// <item>PI: generate in place over <see cref="Source"/> and <see cref="Metadata"/> (as <see cref="OffloadOpKind.PiGenerate"/>). Separate metadata stays in the clear and uncompressed; interleaved PI travels inside the data.</item>
/// <item>Compression: <see cref="Source"/> becomes one LZ4 block. The stored payload is that block, zero-padded to 16 bytes when shorter (XTS's smallest unit). <see cref="OffloadCompletion.Value"/> is the LZ4 block's own length: keep it to read back.</item>
/// <item>Encryption: with compression, the payload is encrypted as ONE XTS data unit of its own length with tweak <see cref="Lba"/>; without compression, <see cref="Source"/> is encrypted per <see cref="BlockSize"/> unit with tweak <see cref="Lba"/> plus the unit index (as <see cref="OffloadOpKind.XtsEncrypt"/>).</item>
/// </list>
/// <para>The result lands in <see cref="Destination"/>; <see cref="OffloadCompletion.BytesProduced"/> is its length.
/// A chain needs compression or encryption (PI alone is <see cref="OffloadOpKind.PiGenerate"/>).</para>
/// <para><b>Read chain</b> (<see cref="OffloadOpKind.ReadChain"/>) undoes it: decrypt <see cref="Source"/> (one data unit,
/// tweak <see cref="Lba"/>, when compressed; else per <see cref="BlockSize"/> unit), decompress the first
/// <see cref="CompressedLength"/> bytes (0: all of them) into <see cref="Destination"/>, which it must fill exactly,
/// then verify PI over <see cref="Destination"/> and <see cref="Metadata"/>. A PI failure gives
/// <see cref="OffloadStatus.PiGuardError"/>, <see cref="OffloadStatus.PiAppTagError"/> or <see cref="OffloadStatus.PiRefTagError"/>
/// with the block index and values in the completion.</para>
/// </remarks>
public readonly record struct OffloadOp
{
    /// <summary>What to do.</summary>
    public OffloadOpKind Kind { get; init; }

    /// <summary>The caller's tag, returned unchanged in <see cref="OffloadCompletion.UserData"/>.</summary>
    public ulong UserData { get; init; }

    /// <summary>The input (and the output of in-place PI generate).</summary>
    public DmaSlice Source { get; init; }

    /// <summary>The output.</summary>
    public DmaSlice Destination { get; init; }

    /// <summary>The separate PI metadata, or the GCM tag.</summary>
    public DmaSlice Metadata { get; init; }

    /// <summary>GCM: the 12-byte nonce followed by the associated data.</summary>
    public DmaSlice Auxiliary { get; init; }

    /// <summary>The key for XTS, GCM and encrypting chains.</summary>
    public OffloadKey Key { get; init; }

    /// <summary>XTS: the tweak of the first data unit (the LBA of the first logical block).</summary>
    public ulong Lba { get; init; }

    /// <summary>XTS: the data-unit size (the logical block size; for extended LBAs, data plus metadata).</summary>
    public int BlockSize { get; init; }

    /// <summary>The steps of a chain.</summary>
    public OffloadChainSteps Steps { get; init; }

    /// <summary>PI: the block layout.</summary>
    public ProtectionInformationFormat PiFormat { get; init; }

    /// <summary>PI: the LBA, reference and application tags.</summary>
    public ProtectionInformationTags PiTags { get; init; }

    /// <summary>PI verify: the fields to check (PRCHK).</summary>
    public ProtectionInformationChecks PiChecks { get; init; }

    /// <summary>Read chain: the length of the LZ4 block at the start of the decrypted payload (0: the whole payload).</summary>
    public int CompressedLength { get; init; }

    /// <summary>A CRC of <paramref name="source"/>.</summary>
    /// <param name="kind"><see cref="OffloadOpKind.Crc32C"/>, <see cref="OffloadOpKind.Crc64Nvme"/> or <see cref="OffloadOpKind.Crc16T10Dif"/>.</param>
    /// <param name="source">The bytes.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp Crc(OffloadOpKind kind, DmaSlice source, ulong userData) =>
        new() { Kind = kind, Source = source, UserData = userData };

    /// <summary>PI generate or verify over a run of blocks.</summary>
    /// <param name="kind"><see cref="OffloadOpKind.PiGenerate"/> or <see cref="OffloadOpKind.PiVerify"/>.</param>
    /// <param name="data">The blocks (extended blocks when interleaved).</param>
    /// <param name="metadata">The separate metadata; empty when interleaved.</param>
    /// <param name="format">The block layout.</param>
    /// <param name="tags">The tags.</param>
    /// <param name="checks">Verify: the fields to check.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp ProtectionInformation(OffloadOpKind kind, DmaSlice data, DmaSlice metadata, ProtectionInformationFormat format, ProtectionInformationTags tags, ProtectionInformationChecks checks, ulong userData) =>
        new() { Kind = kind, Source = data, Metadata = metadata, PiFormat = format, PiTags = tags, PiChecks = checks, UserData = userData };

    /// <summary>An LZ4 block compress or decompress.</summary>
    /// <param name="kind"><see cref="OffloadOpKind.Lz4Compress"/> or <see cref="OffloadOpKind.Lz4Decompress"/>.</param>
    /// <param name="source">The input.</param>
    /// <param name="destination">The output.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp Lz4(OffloadOpKind kind, DmaSlice source, DmaSlice destination, ulong userData) =>
        new() { Kind = kind, Source = source, Destination = destination, UserData = userData };

    /// <summary>An XTS encrypt or decrypt of a run of data units.</summary>
    /// <param name="kind"><see cref="OffloadOpKind.XtsEncrypt"/> or <see cref="OffloadOpKind.XtsDecrypt"/>.</param>
    /// <param name="key">An <see cref="OffloadKeyKind.AesXts256"/> key.</param>
    /// <param name="source">The input.</param>
    /// <param name="destination">The output (may be the same slice).</param>
    /// <param name="lba">The tweak of the first unit.</param>
    /// <param name="blockSize">The data-unit size.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp Xts(OffloadOpKind kind, OffloadKey key, DmaSlice source, DmaSlice destination, ulong lba, int blockSize, ulong userData) =>
        new() { Kind = kind, Key = key, Source = source, Destination = destination, Lba = lba, BlockSize = blockSize, UserData = userData };

    /// <summary>A GCM seal or open.</summary>
    /// <param name="kind"><see cref="OffloadOpKind.GcmSeal"/> or <see cref="OffloadOpKind.GcmOpen"/>.</param>
    /// <param name="key">An <see cref="OffloadKeyKind.AesGcm256"/> key.</param>
    /// <param name="source">The input.</param>
    /// <param name="destination">The output, as long as the input.</param>
    /// <param name="tag">The 16-byte tag.</param>
    /// <param name="nonceAndAad">The 12-byte nonce followed by the associated data.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp Gcm(OffloadOpKind kind, OffloadKey key, DmaSlice source, DmaSlice destination, DmaSlice tag, DmaSlice nonceAndAad, ulong userData) =>
        new() { Kind = kind, Key = key, Source = source, Destination = destination, Metadata = tag, Auxiliary = nonceAndAad, UserData = userData };

    /// <summary>A write chain (PI generate, LZ4 compress, XTS encrypt, as <paramref name="steps"/> names).</summary>
    /// <param name="steps">The steps to run.</param>
    /// <param name="key">An <see cref="OffloadKeyKind.AesXts256"/> key when encrypting.</param>
    /// <param name="data">The logical blocks (PI is generated in place).</param>
    /// <param name="metadata">The separate metadata; empty when interleaved or without PI.</param>
    /// <param name="destination">The stored payload.</param>
    /// <param name="lba">The LBA of the first block: the XTS tweak and the type 1 reference tag base.</param>
    /// <param name="format">The block layout; its data stride is the XTS data unit when not compressing.</param>
    /// <param name="tags">PI tags; their <see cref="ProtectionInformationTags.FirstLba"/> is replaced by <paramref name="lba"/>.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp Write(OffloadChainSteps steps, OffloadKey key, DmaSlice data, DmaSlice metadata, DmaSlice destination, ulong lba, ProtectionInformationFormat format, ProtectionInformationTags tags, ulong userData) =>
        new()
        {
            Kind = OffloadOpKind.WriteChain, Steps = steps, Key = key, Source = data, Metadata = metadata, Destination = destination,
            Lba = lba, BlockSize = format.DataStride, PiFormat = format, PiTags = tags with { FirstLba = lba }, UserData = userData,
        };

    /// <summary>A read chain (XTS decrypt, LZ4 decompress, PI verify, as <paramref name="steps"/> names).</summary>
    /// <param name="steps">The steps to run.</param>
    /// <param name="key">An <see cref="OffloadKeyKind.AesXts256"/> key when decrypting.</param>
    /// <param name="payload">The stored payload a write chain produced.</param>
    /// <param name="compressedLength">The LZ4 block length the write chain reported (0: the whole payload).</param>
    /// <param name="destination">The logical blocks, filled exactly.</param>
    /// <param name="metadata">The separate metadata; empty when interleaved or without PI.</param>
    /// <param name="lba">The LBA of the first block.</param>
    /// <param name="format">The block layout.</param>
    /// <param name="tags">The expected PI tags; their <see cref="ProtectionInformationTags.FirstLba"/> is replaced by <paramref name="lba"/>.</param>
    /// <param name="checks">The PI fields to check.</param>
    /// <param name="userData">The caller's tag.</param>
    /// <returns>The operation.</returns>
    public static OffloadOp Read(OffloadChainSteps steps, OffloadKey key, DmaSlice payload, int compressedLength, DmaSlice destination, DmaSlice metadata, ulong lba, ProtectionInformationFormat format, ProtectionInformationTags tags, ProtectionInformationChecks checks, ulong userData) =>
        new()
        {
            Kind = OffloadOpKind.ReadChain, Steps = steps, Key = key, Source = payload, CompressedLength = compressedLength, Destination = destination,
            Metadata = metadata, Lba = lba, BlockSize = format.DataStride, PiFormat = format, PiTags = tags with { FirstLba = lba }, PiChecks = checks, UserData = userData,
        };
}
