using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The operation code of the <see cref="SoftwareEngine"/>, shared by both modes: an inline queue pair
/// owns one runner, each worker thread owns one. A runner owns its chain scratch buffer and its
/// cipher instances (built the first time a key is used through it, from the engine's shared key
/// table), so one thread at a time uses it and nothing is allocated per operation.
/// </summary>
internal sealed class SoftwareOpRunner : IDisposable
{
    private readonly SoftwareKeyTable _keys;
    private readonly int _maxDataSize;

    /// <summary>Chain scratch: a compressed payload (write) or a decrypted one (read); LZ4's bound of the largest source plus XTS's 16-byte floor.</summary>
    private readonly byte[] _scratch;

    private readonly AesXts?[] _xts;
    private readonly int[] _xtsGeneration;
    private readonly AesGcmCipher?[] _gcm;
    private readonly int[] _gcmGeneration;

    internal SoftwareOpRunner(SoftwareKeyTable keys, int maxDataSize)
    {
        _keys = keys;
        _maxDataSize = maxDataSize;
        _scratch = new byte[Lz4Block.MaxCompressedLength(maxDataSize) + AesXts.MinBlockSize];
        int capacity = keys.Capacity;
        _xts = new AesXts?[capacity];
        _xtsGeneration = new int[capacity];
        _gcm = new AesGcmCipher?[capacity];
        _gcmGeneration = new int[capacity];
    }

    /// <summary>Disposes the cipher instances.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _xts.Length; i++)
        {
            _xts[i]?.Dispose();
            _xts[i] = null;
            _gcm[i]?.Dispose();
            _gcm[i] = null;
        }
    }

    private static OffloadCompletion Done(in OffloadOp op, OffloadStatus status, int produced = 0, ulong value = 0) =>
        new(op.UserData, op.Kind, status, produced, value, -1, 0, 0);

    private static OffloadCompletion PiFailure(in OffloadOp op, in ProtectionInformationResult r)
    {
        OffloadStatus status = r.Field switch
        {
            ProtectionInformationField.Guard => OffloadStatus.PiGuardError,
            ProtectionInformationField.ApplicationTag => OffloadStatus.PiAppTagError,
            _ => OffloadStatus.PiRefTagError,
        };
        return new OffloadCompletion(op.UserData, op.Kind, status, 0, 0, r.BlockIndex, r.Expected, r.Actual);
    }

    /// <summary>XTS runs need a legal data unit, equal lengths, whole units, and buffers that are the same memory or apart.</summary>
    private static bool IsXtsRun(ReadOnlySpan<byte> src, ReadOnlySpan<byte> dst, int unit) =>
        unit is >= AesXts.MinBlockSize and <= AesXts.MaxBlockSize
        && src.Length == dst.Length
        && src.Length % unit == 0
        && (!src.Overlaps(dst, out int offset) || offset == 0);

    /// <summary>Runs one operation to its completion; every check of the operation happens here, so both modes report the same statuses.</summary>
    internal OffloadCompletion Run(in OffloadOp op)
    {
        if (op.Source.Length > _maxDataSize
            || !op.Source.TryGetSpan(out Span<byte> src)
            || !op.Destination.TryGetSpan(out Span<byte> dst)
            || !op.Metadata.TryGetSpan(out Span<byte> md)
            || !op.Auxiliary.TryGetSpan(out Span<byte> aux))
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        try
        {
            return op.Kind switch
            {
                OffloadOpKind.Crc32C => Done(op, OffloadStatus.Success, 0, Crc32C.Compute(src)),
                OffloadOpKind.Crc64Nvme => Done(op, OffloadStatus.Success, 0, Crc64Nvme.Compute(src)),
                OffloadOpKind.Crc16T10Dif => Done(op, OffloadStatus.Success, 0, Crc16T10Dif.Compute(src)),
                OffloadOpKind.PiGenerate => GeneratePi(op, src, md),
                OffloadOpKind.PiVerify => VerifyPi(op, src, md),
                OffloadOpKind.Lz4Compress => Lz4Block.TryCompress(src, dst, out int packed)
                    ? Done(op, OffloadStatus.Success, packed)
                    : Done(op, OffloadStatus.DestinationTooSmall),
                OffloadOpKind.Lz4Decompress => Lz4Block.TryDecompress(src, dst, out int unpacked)
                    ? Done(op, OffloadStatus.Success, unpacked)
                    : Done(op, OffloadStatus.CorruptData),
                OffloadOpKind.XtsEncrypt or OffloadOpKind.XtsDecrypt => RunXts(op, src, dst),
                OffloadOpKind.GcmSeal or OffloadOpKind.GcmOpen => RunGcm(op, src, dst, md, aux),
                OffloadOpKind.WriteChain => RunWrite(op, src, dst, md),
                OffloadOpKind.ReadChain => RunRead(op, src, dst, md),
                _ => Done(op, OffloadStatus.InvalidArgument),
            };
        }
        catch (ArgumentException)
        {
            // A kernel's own argument check caught a case the checks here let through: still only this operation's error.
            return Done(op, OffloadStatus.InvalidArgument);
        }
        catch (ObjectDisposedException)
        {
            // A region disposed while in use.
            return Done(op, OffloadStatus.InvalidArgument);
        }
    }

    private static OffloadCompletion GeneratePi(in OffloadOp op, Span<byte> data, Span<byte> md)
    {
        ProtectionInformation.TryGetBlockCount(op.PiFormat, data.Length, md.Length, out string? error);
        if (error is not null)
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        ProtectionInformation.Generate(data, md, op.PiFormat, op.PiTags);
        return Done(op, OffloadStatus.Success);
    }

    private static OffloadCompletion VerifyPi(in OffloadOp op, ReadOnlySpan<byte> data, ReadOnlySpan<byte> md)
    {
        ProtectionInformation.TryGetBlockCount(op.PiFormat, data.Length, md.Length, out string? error);
        if (error is not null)
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        ProtectionInformationResult r = ProtectionInformation.Verify(data, md, op.PiFormat, op.PiTags, op.PiChecks);
        return r.IsValid ? Done(op, OffloadStatus.Success) : PiFailure(op, r);
    }

    private OffloadCompletion RunXts(in OffloadOp op, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        AesXts? xts = GetXts(op.Key);
        if (xts is null)
        {
            return Done(op, OffloadStatus.InvalidKey);
        }

        if (!IsXtsRun(src, dst, op.BlockSize))
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        if (op.Kind == OffloadOpKind.XtsEncrypt)
        {
            xts.Encrypt(src, dst, op.Lba, op.BlockSize);
        }
        else
        {
            xts.Decrypt(src, dst, op.Lba, op.BlockSize);
        }

        return Done(op, OffloadStatus.Success, src.Length);
    }

    private OffloadCompletion RunGcm(in OffloadOp op, ReadOnlySpan<byte> src, Span<byte> dst, Span<byte> tag, ReadOnlySpan<byte> aux)
    {
        AesGcmCipher? gcm = GetGcm(op.Key);
        if (gcm is null)
        {
            return Done(op, OffloadStatus.InvalidKey);
        }

        if (tag.Length != AesGcmCipher.TagSizeInBytes || aux.Length < AesGcmCipher.NonceSizeInBytes || dst.Length != src.Length)
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        ReadOnlySpan<byte> nonce = aux[..AesGcmCipher.NonceSizeInBytes];
        ReadOnlySpan<byte> aad = aux[AesGcmCipher.NonceSizeInBytes..];
        if (op.Kind == OffloadOpKind.GcmSeal)
        {
            gcm.Encrypt(nonce, src, dst, tag, aad);
            return Done(op, OffloadStatus.Success, src.Length);
        }

        return gcm.Decrypt(nonce, src, tag, dst, aad)
            ? Done(op, OffloadStatus.Success, src.Length)
            : Done(op, OffloadStatus.AuthenticationFailed);
    }

    private static bool IsChain(OffloadChainSteps steps) =>
        (steps & ~OffloadChainSteps.All) == 0 && (steps & (OffloadChainSteps.Compression | OffloadChainSteps.Encryption)) != 0;

    private OffloadCompletion RunWrite(in OffloadOp op, Span<byte> src, Span<byte> dst, Span<byte> md)
    {
        OffloadChainSteps steps = op.Steps;
        bool encrypt = (steps & OffloadChainSteps.Encryption) != 0;
        AesXts? xts = encrypt ? GetXts(op.Key) : null;
        if (!IsChain(steps))
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        if (encrypt && xts is null)
        {
            return Done(op, OffloadStatus.InvalidKey);
        }

        if ((steps & OffloadChainSteps.ProtectionInformation) != 0)
        {
            OffloadCompletion pi = GeneratePi(op, src, md);
            if (pi.Status != OffloadStatus.Success)
            {
                return pi;
            }
        }

        if ((steps & OffloadChainSteps.Compression) == 0)
        {
            if (dst.Length < src.Length || !IsXtsRun(src, dst[..src.Length], op.BlockSize))
            {
                return Done(op, dst.Length < src.Length ? OffloadStatus.DestinationTooSmall : OffloadStatus.InvalidArgument);
            }

            xts!.Encrypt(src, dst[..src.Length], op.Lba, op.BlockSize);
            return Done(op, OffloadStatus.Success, src.Length, (ulong)src.Length);
        }

        // The scratch holds LZ4's bound of the largest source, so compressing never fails for room.
        Lz4Block.TryCompress(src, _scratch, out int packed);
        int payload = Math.Max(packed, AesXts.MinBlockSize);
        _scratch.AsSpan(packed, payload - packed).Clear();
        if (dst.Length < payload)
        {
            return Done(op, OffloadStatus.DestinationTooSmall);
        }

        ReadOnlySpan<byte> stored = _scratch.AsSpan(0, payload);
        if (encrypt)
        {
            // The whole payload is one data unit, tweak = the LBA of the first block.
            xts!.Encrypt(stored, dst[..payload], op.Lba, payload);
        }
        else
        {
            stored.CopyTo(dst);
        }

        return Done(op, OffloadStatus.Success, payload, (ulong)packed);
    }

    private OffloadCompletion RunRead(in OffloadOp op, ReadOnlySpan<byte> src, Span<byte> dst, ReadOnlySpan<byte> md)
    {
        OffloadChainSteps steps = op.Steps;
        bool decrypt = (steps & OffloadChainSteps.Encryption) != 0;
        AesXts? xts = decrypt ? GetXts(op.Key) : null;
        if (!IsChain(steps))
        {
            return Done(op, OffloadStatus.InvalidArgument);
        }

        if (decrypt && xts is null)
        {
            return Done(op, OffloadStatus.InvalidKey);
        }

        if ((steps & OffloadChainSteps.Compression) == 0)
        {
            if (!IsXtsRun(src, dst, op.BlockSize))
            {
                return Done(op, OffloadStatus.InvalidArgument);
            }

            xts!.Decrypt(src, dst, op.Lba, op.BlockSize);
        }
        else
        {
            ReadOnlySpan<byte> payload = src;
            if (decrypt)
            {
                if (src.Length is < AesXts.MinBlockSize or > AesXts.MaxBlockSize || src.Length > _scratch.Length)
                {
                    return Done(op, OffloadStatus.InvalidArgument);
                }

                Span<byte> plain = _scratch.AsSpan(0, src.Length);
                xts!.Decrypt(src, plain, op.Lba, src.Length);
                payload = plain;
            }

            int blockLength = op.CompressedLength == 0 ? payload.Length : op.CompressedLength;
            if ((uint)blockLength > (uint)payload.Length)
            {
                return Done(op, OffloadStatus.InvalidArgument);
            }

            if (!Lz4Block.TryDecompress(payload[..blockLength], dst, out int unpacked) || unpacked != dst.Length)
            {
                return Done(op, OffloadStatus.CorruptData);
            }
        }

        if ((steps & OffloadChainSteps.ProtectionInformation) != 0)
        {
            OffloadCompletion pi = VerifyPi(op, dst, md);
            if (pi.Status != OffloadStatus.Success)
            {
                return pi;
            }
        }

        return Done(op, OffloadStatus.Success, dst.Length);
    }

    /// <summary>This queue pair's cipher for a current XTS handle, built the first time the key is used here; null for a stale or foreign handle.</summary>
    private AesXts? GetXts(OffloadKey key)
    {
        if (key.Kind != OffloadKeyKind.AesXts256 || !_keys.IsCurrent(key))
        {
            return null;
        }

        AesXts? xts = _xts[key.Slot];
        if (xts is not null && _xtsGeneration[key.Slot] == key.Generation)
        {
            return xts;
        }

        Span<byte> bytes = stackalloc byte[AesXts.KeySizeInBytes];
        try
        {
            if (!_keys.TryCopy(key, bytes, out int length) || length != AesXts.KeySizeInBytes)
            {
                return null;
            }

            xts?.Dispose();
            _xts[key.Slot] = xts = new AesXts(bytes);
            _xtsGeneration[key.Slot] = key.Generation;
            return xts;
        }
        finally
        {
            bytes.Clear();
        }
    }

    /// <summary>This queue pair's cipher for a current GCM handle, built the first time the key is used here; null for a stale or foreign handle.</summary>
    private AesGcmCipher? GetGcm(OffloadKey key)
    {
        if (key.Kind != OffloadKeyKind.AesGcm256 || !_keys.IsCurrent(key))
        {
            return null;
        }

        AesGcmCipher? gcm = _gcm[key.Slot];
        if (gcm is not null && _gcmGeneration[key.Slot] == key.Generation)
        {
            return gcm;
        }

        Span<byte> bytes = stackalloc byte[AesGcmCipher.KeySizeInBytes];
        try
        {
            if (!_keys.TryCopy(key, bytes, out int length) || length != AesGcmCipher.KeySizeInBytes)
            {
                return null;
            }

            gcm?.Dispose();
            _gcm[key.Slot] = gcm = new AesGcmCipher(bytes);
            _gcmGeneration[key.Slot] = key.Generation;
            return gcm;
        }
        finally
        {
            bytes.Clear();
        }
    }
}
