using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// Translation of operations into device descriptors: only layouts the device answers exactly as the
/// software engine does get one; every other operation (buffers in two regions or a disposed one,
/// parameters the software engine rejects, overlaps the ABI forbids, a key the device does not hold)
/// runs in software. The CRCs, the common case, take the short path; the rest is out of line so the
/// short path stays small enough for the JIT to inline its helpers.
/// </summary>
internal sealed partial class MppaQueuePair
{
    /// <summary>Fills <paramref name="d"/> for <paramref name="op"/>; the index of its region's device queue pair, or -1 when software must run it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Translate(in OffloadOp op, ref DpuDescriptor d)
    {
        OffloadOpKind kind = op.Kind;
        if (kind is OffloadOpKind.None or > OffloadOpKind.ReadChain)
        {
            return -1;
        }

        int region = SetBuffers(in op, ref d);
        if (region < 0)
        {
            return -1;
        }

        switch (kind)
        {
            case OffloadOpKind.Crc32C:
                d.Op = DpuOp.Crc32C;
                return region;
            case OffloadOpKind.Crc64Nvme:
                d.Op = DpuOp.Crc64Nvme;
                return region;
            case OffloadOpKind.Crc16T10Dif:
                d.Op = DpuOp.Crc16T10Dif;
                return region;
            default:
                return TranslateOther(in op, ref d) ? region : -1;
        }
    }

    /// <summary>
    /// Zeroes <paramref name="d"/> and fills its four buffers; the device queue pair index of the one live
    /// region they share, or -1 (two regions, a disposed one, a buffer over the device's data size, or an
    /// auxiliary buffer on an operation that has none).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SetBuffers(in OffloadOp op, ref DpuDescriptor d)
    {
        DmaSlice src = op.Source;
        DmaSlice dst = op.Destination;
        DmaSlice md = op.Metadata;
        DmaSlice aux = op.Auxiliary;
        DmaRegion? shared = null;
        if (!Shares(src, ref shared) || !Shares(dst, ref shared) || !Shares(md, ref shared) || !Shares(aux, ref shared) || shared is null
            || (uint)src.Length > (uint)_maxData || (uint)dst.Length > (uint)_maxData || (uint)aux.Length > (uint)_maxData
            || (aux.Length != 0 && op.Kind is not (OffloadOpKind.GcmSeal or OffloadOpKind.GcmOpen)))
        {
            return -1;
        }

        int region = ReferenceEquals(shared, _lastRegion) ? _lastRegionIndex : RegionIndex(shared);
        if (region < 0)
        {
            return -1;
        }

        d = default;
        d.SrcOffset = (ulong)src.Offset;
        d.SrcLength = (uint)src.Length;
        d.DstOffset = (ulong)dst.Offset;
        d.DstCapacity = (uint)dst.Length;
        d.MetaOffset = (ulong)md.Offset;
        d.MetaLength = (uint)md.Length;
        d.AuxOffset = (ulong)aux.Offset;
        d.AuxLength = (uint)aux.Length;
        return region;
    }

    /// <summary>True when <paramref name="slice"/> is empty or in <paramref name="shared"/> (set by the first non-empty one, which must be live).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Shares(in DmaSlice slice, ref DmaRegion? shared)
    {
        if (slice.Length == 0)
        {
            return true;
        }

        // A non-empty slice always has a region (DmaSlice's constructor requires one).
        DmaRegion region = slice.Region!;
        if (shared is null)
        {
            shared = region;
            return !region.IsDisposed;
        }

        return ReferenceEquals(region, shared);
    }

    /// <summary>The index of the device queue pair over <paramref name="region"/>, created on first use; -1 when none can be.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RegionIndex(DmaRegion region)
    {
        for (int i = 0; i < _regionCount; i++)
        {
            if (ReferenceEquals(_regions[i], region))
            {
                _lastRegion = region;
                _lastRegionIndex = i;
                return i;
            }
        }

        if (_regionCount == MaxRegions)
        {
            return -1;
        }

        try
        {
            _device[_regionCount] = _engine.Runtime.CreateQueuePair(region, (uint)Depth);
        }
        catch (Exception e) when (e is NativeCallException or ObjectDisposedException)
        {
            return -1;
        }

        _regions[_regionCount] = region;
        _lastRegion = region;
        _lastRegionIndex = _regionCount;
        return _regionCount++;
    }

    private static bool Overlap(in DmaSlice a, in DmaSlice b) =>
        !a.IsEmpty && !b.IsEmpty && a.Offset < b.Offset + b.Length && b.Offset < a.Offset + a.Length;

    /// <summary>XTS over whole units of a legal size, equal lengths, the same memory or apart (as the software engine requires).</summary>
    private static bool IsXtsRun(in DmaSlice src, in DmaSlice dst, int unit) =>
        unit is >= AesXts.MinBlockSize and <= AesXts.MaxBlockSize
        && src.Length == dst.Length
        && src.Length % unit == 0
        && (!Overlap(src, dst) || src.Offset == dst.Offset);

    private static bool IsChain(OffloadChainSteps steps) =>
        (steps & ~OffloadChainSteps.All) == 0 && (steps & (OffloadChainSteps.Compression | OffloadChainSteps.Encryption)) != 0;

    /// <summary>Fills the PI fields of <paramref name="d"/>; false when the geometry is not valid (software then answers).</summary>
    private static bool SetPi(ref DpuDescriptor d, in OffloadOp op, int dataLength, int metadataLength)
    {
        ProtectionInformationFormat f = op.PiFormat;
        ProtectionInformation.TryGetBlockCount(f, dataLength, metadataLength, out string? error);
        if (error is not null || f.MetadataSize > ushort.MaxValue)
        {
            return false;
        }

        ProtectionInformationChecks checks = op.PiChecks;
        d.PiFormat = f.Guard == ProtectionInformationGuard.Crc64 ? DpuPiFormat.Guard64 : DpuPiFormat.Guard16;
        d.PiType = (byte)f.Type;
        d.BlockSize = (uint)f.DataSize;
        d.MetaSize = (ushort)f.MetadataSize;
        d.PiLocation = f.PiFirst ? DpuAbi.PiFirst : DpuAbi.PiLast;
        d.MetaMode = f.Interleaved ? DpuAbi.MetaInterleaved : DpuAbi.MetaSeparate;
        d.InitialRefTag = f.Type == ProtectionInformationType.Type1 ? op.PiTags.FirstLba : op.PiTags.InitialReferenceTag;
        d.AppTag = op.PiTags.ApplicationTag;
        d.AppTagMask = op.PiTags.ApplicationTagMask;
        d.PiChecks = (byte)(((checks & ProtectionInformationChecks.Guard) != 0 ? DpuAbi.PiCheckGuard : 0)
            | ((checks & ProtectionInformationChecks.ApplicationTag) != 0 ? DpuAbi.PiCheckApp : 0)
            | ((checks & ProtectionInformationChecks.ReferenceTag) != 0 ? DpuAbi.PiCheckRef : 0));
        return true;
    }

    private static unsafe void SetChain(ref DpuDescriptor d, DpuOp a, DpuOp b = DpuOp.Nop, DpuOp c = DpuOp.Nop)
    {
        // Chain stages in order; Nop marks the end (at most three here, the ABI holds four). The fixed
        // buffer is inside the descriptor the caller holds by reference: indices 0..2 are within its 4 bytes.
        d.Op = DpuOp.Chain;
        byte n = 0;
        d.ChainOps[n++] = (byte)a;
        if (b != DpuOp.Nop)
        {
            d.ChainOps[n++] = (byte)b;
        }

        if (c != DpuOp.Nop)
        {
            d.ChainOps[n++] = (byte)c;
        }

        d.ChainLength = n;
    }

    /// <summary>Everything but the CRCs: PI, LZ4, XTS, GCM and the chains. False when software must run the operation.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TranslateOther(in OffloadOp op, ref DpuDescriptor d)
    {
        DmaSlice src = op.Source;
        DmaSlice dst = op.Destination;
        DmaSlice md = op.Metadata;
        uint key;
        switch (op.Kind)
        {
            case OffloadOpKind.PiGenerate or OffloadOpKind.PiVerify:
                d.Op = op.Kind == OffloadOpKind.PiGenerate ? DpuOp.PiGenerate : DpuOp.PiVerify;
                return SetPi(ref d, op, src.Length, md.Length) && !Overlap(src, md);
            case OffloadOpKind.Lz4Compress or OffloadOpKind.Lz4Decompress:
                d.Op = op.Kind == OffloadOpKind.Lz4Compress ? DpuOp.Lz4Compress : DpuOp.Lz4Decompress;
                return !Overlap(src, dst);
            case OffloadOpKind.XtsEncrypt or OffloadOpKind.XtsDecrypt:
                if (!_engine.TryGetDeviceKey(op.Key, OffloadKeyKind.AesXts256, out key) || !IsXtsRun(src, dst, op.BlockSize))
                {
                    return false;
                }

                d.Op = op.Kind == OffloadOpKind.XtsEncrypt ? DpuOp.XtsEncrypt : DpuOp.XtsDecrypt;
                d.KeyHandle = key;
                d.Lba = op.Lba;
                d.CryptoUnit = (uint)op.BlockSize;
                return true;
            case OffloadOpKind.GcmSeal or OffloadOpKind.GcmOpen:
                return TranslateGcm(op, ref d);
        }

        // Chains.
        OffloadChainSteps steps = op.Steps;
        bool pi = (steps & OffloadChainSteps.ProtectionInformation) != 0;
        bool compress = (steps & OffloadChainSteps.Compression) != 0;
        bool encrypt = (steps & OffloadChainSteps.Encryption) != 0;
        key = 0;
        if (!IsChain(steps) || (encrypt && !_engine.TryGetDeviceKey(op.Key, OffloadKeyKind.AesXts256, out key))
            || Overlap(src, dst) || Overlap(src, md) || Overlap(dst, md))
        {
            return false;
        }

        d.KeyHandle = key;
        d.Lba = op.Lba;
        if (op.Kind == OffloadOpKind.WriteChain)
        {
            if (pi && !SetPi(ref d, op, src.Length, md.Length))
            {
                return false;
            }

            DpuOp first = pi ? DpuOp.PiGenerate : DpuOp.Nop;
            if (compress)
            {
                // The compressed payload is one XTS data unit of its own length (crypto_unit 0).
                DpuOp last = encrypt ? DpuOp.XtsEncrypt : DpuOp.Nop;
                if (pi)
                {
                    SetChain(ref d, first, DpuOp.Lz4Compress, last);
                }
                else
                {
                    SetChain(ref d, DpuOp.Lz4Compress, last);
                }

                return true;
            }

            // Encryption alone: per BlockSize unit into the first Source.Length bytes of Destination.
            if (dst.Length < src.Length || op.BlockSize is < AesXts.MinBlockSize or > AesXts.MaxBlockSize
                || src.Length % op.BlockSize != 0)
            {
                return false;
            }

            d.DstCapacity = (uint)src.Length;
            d.CryptoUnit = (uint)op.BlockSize;
            if (pi)
            {
                SetChain(ref d, first, DpuOp.XtsEncrypt);
            }
            else
            {
                SetChain(ref d, DpuOp.XtsEncrypt);
            }

            return true;
        }

        // Read chain.
        if (pi && !SetPi(ref d, op, dst.Length, md.Length))
        {
            return false;
        }

        DpuOp verify = pi ? DpuOp.PiVerify : DpuOp.Nop;
        if (compress)
        {
            if ((encrypt && src.Length is < AesXts.MinBlockSize or > AesXts.MaxBlockSize)
                || (uint)op.CompressedLength > (uint)src.Length)
            {
                return false;
            }

            d.CompressedLength = (uint)op.CompressedLength;
            if (encrypt)
            {
                SetChain(ref d, DpuOp.XtsDecrypt, DpuOp.Lz4Decompress, verify);
            }
            else
            {
                SetChain(ref d, DpuOp.Lz4Decompress, verify);
            }

            return true;
        }

        if (!IsXtsRun(src, dst, op.BlockSize))
        {
            return false;
        }

        d.CryptoUnit = (uint)op.BlockSize;
        SetChain(ref d, DpuOp.XtsDecrypt, verify);
        return true;
    }

    /// <summary>
    /// GCM on the device when it has GCM and holds the key, the lengths are the software engine's (16-byte tag,
    /// nonce of 12 bytes then the AAD, destination as long as the source), and no buffer the device writes
    /// overlaps another (the destination may be the source exactly).
    /// </summary>
    private bool TranslateGcm(in OffloadOp op, ref DpuDescriptor d)
    {
        DmaSlice src = op.Source;
        DmaSlice dst = op.Destination;
        DmaSlice tag = op.Metadata;
        DmaSlice aux = op.Auxiliary;
        bool seal = op.Kind == OffloadOpKind.GcmSeal;
        if (!_deviceGcm || !_engine.TryGetDeviceKey(op.Key, OffloadKeyKind.AesGcm256, out uint key)
            || tag.Length != AesGcmCipher.TagSizeInBytes || aux.Length < AesGcmCipher.NonceSizeInBytes || dst.Length != src.Length
            || (Overlap(src, dst) && src.Offset != dst.Offset) || Overlap(dst, aux) || Overlap(dst, tag)
            || (seal && (Overlap(tag, src) || Overlap(tag, aux))))
        {
            return false;
        }

        d.Op = seal ? DpuOp.GcmEncrypt : DpuOp.GcmDecrypt;
        d.KeyHandle = key;
        return true;
    }
}
