using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// NVMe end-to-end data protection (NVM Command Set Specification 1.0, section 5.2): generates and
/// verifies the protection information of a run of logical blocks, in the 16b guard format
/// (CRC-16/T10-DIF) or the 64b guard format (CRC-64/NVMe), types 1, 2 and 3, with the metadata
/// interleaved with the data or in a separate buffer. Span in, span out, no allocation.
/// </summary>
/// <remarks>
/// <para>PI fields are big-endian. 16b guard, 8 bytes: guard at 0, application tag at 2, reference
/// tag at 4. 64b guard, 16 bytes: guard at 0, application tag at 8, the 48-bit storage and reference
/// space at 10 (storage tag size 0, so all of it is the reference tag).</para>
/// <para>Verify follows the spec's escapes: for types 1 and 2 an application tag of FFFFh disables
/// every check of that block; for type 3 an application tag of FFFFh together with an all-ones
/// reference tag does. A type 3 reference tag is never checked.</para>
/// <para>Data errors are results, never exceptions: <see cref="Verify"/> names the first bad block.
/// A geometry that does not fit (lengths that are not whole blocks, metadata smaller than the PI)
/// throws <see cref="ArgumentException"/>.</para>
/// </remarks>
public static class ProtectionInformation
{
    private const ushort ApplicationTagEscape = 0xFFFF;

    /// <summary>
    /// Checks that <paramref name="dataLength"/> and <paramref name="metadataLength"/> hold a whole
    /// number of blocks of <paramref name="format"/> and returns that number.
    /// </summary>
    /// <param name="format">The block layout.</param>
    /// <param name="dataLength">Bytes in the data buffer (data and interleaved metadata for an extended LBA).</param>
    /// <param name="metadataLength">Bytes in the separate metadata buffer; 0 when interleaved.</param>
    /// <returns>The number of blocks.</returns>
    /// <exception cref="ArgumentException">The format is invalid or the lengths are not whole blocks of it.</exception>
    public static int GetBlockCount(in ProtectionInformationFormat format, int dataLength, int metadataLength)
    {
        int blocks = TryGetBlockCount(format, dataLength, metadataLength, out string? error);
        if (error is not null)
        {
            KernelThrowHelper.ThrowArgument(nameof(format), error);
        }

        return blocks;
    }

    /// <summary>Writes the protection information of every block of the run.</summary>
    /// <param name="data">The blocks' data; for an interleaved format, the extended blocks (their PI is written here).</param>
    /// <param name="metadata">The separate metadata buffer (PI written here); empty for an interleaved format. Metadata bytes outside the PI are left as they are.</param>
    /// <param name="format">The block layout.</param>
    /// <param name="tags">The LBA, initial reference tag and application tag.</param>
    /// <exception cref="ArgumentException">The format is invalid or the lengths are not whole blocks of it.</exception>
    public static void Generate(Span<byte> data, Span<byte> metadata, in ProtectionInformationFormat format, in ProtectionInformationTags tags)
    {
        int blocks = GetBlockCount(format, data.Length, metadata.Length);
        var run = new Run(format, tags);
        for (int i = 0; i < blocks; i++)
        {
            Span<byte> md = run.Interleaved
                ? data.Slice((i * run.Stride) + run.DataSize, run.MetadataSize)
                : metadata.Slice(i * run.MetadataSize, run.MetadataSize);
            ulong guard = run.Guard(data, md, i);
            ulong referenceTag = run.ReferenceTag(i);
            if (run.Wide)
            {
                Span<byte> pi = md.Slice(run.PiOffset, 16);
                BinaryPrimitives.WriteUInt64BigEndian(pi, guard);
                BinaryPrimitives.WriteUInt16BigEndian(pi[8..], tags.ApplicationTag);
                BinaryPrimitives.WriteUInt16BigEndian(pi[10..], (ushort)(referenceTag >> 32));
                BinaryPrimitives.WriteUInt32BigEndian(pi[12..], (uint)referenceTag);
            }
            else
            {
                Span<byte> pi = md.Slice(run.PiOffset, 8);
                BinaryPrimitives.WriteUInt16BigEndian(pi, (ushort)guard);
                BinaryPrimitives.WriteUInt16BigEndian(pi[2..], tags.ApplicationTag);
                BinaryPrimitives.WriteUInt32BigEndian(pi[4..], (uint)referenceTag);
            }
        }
    }

    /// <summary>Checks the protection information of every block of the run; stops at the first bad block.</summary>
    /// <param name="data">The blocks' data; for an interleaved format, the extended blocks.</param>
    /// <param name="metadata">The separate metadata buffer; empty for an interleaved format.</param>
    /// <param name="format">The block layout.</param>
    /// <param name="tags">The expected LBA, initial reference tag, application tag and mask.</param>
    /// <param name="checks">The fields to check (PRCHK).</param>
    /// <returns>Valid, or the first bad block with the failed field (guard, then application tag, then reference tag).</returns>
    /// <exception cref="ArgumentException">The format is invalid or the lengths are not whole blocks of it.</exception>
    public static ProtectionInformationResult Verify(
        ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> metadata,
        in ProtectionInformationFormat format,
        in ProtectionInformationTags tags,
        ProtectionInformationChecks checks = ProtectionInformationChecks.All)
    {
        int blocks = GetBlockCount(format, data.Length, metadata.Length);
        var run = new Run(format, tags);
        bool type3 = format.Type == ProtectionInformationType.Type3;
        ulong referenceMask = format.ReferenceTagMask;
        ulong expectedApplication = (ulong)(tags.ApplicationTag & tags.ApplicationTagMask);
        for (int i = 0; i < blocks; i++)
        {
            ReadOnlySpan<byte> md = run.Interleaved
                ? data.Slice((i * run.Stride) + run.DataSize, run.MetadataSize)
                : metadata.Slice(i * run.MetadataSize, run.MetadataSize);
            ReadOnlySpan<byte> pi = md.Slice(run.PiOffset, run.Wide ? 16 : 8);
            ushort application = BinaryPrimitives.ReadUInt16BigEndian(pi[(run.Wide ? 8 : 2)..]);
            ulong reference = run.Wide
                ? ((ulong)BinaryPrimitives.ReadUInt16BigEndian(pi[10..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(pi[12..])
                : BinaryPrimitives.ReadUInt32BigEndian(pi[4..]);
            if (application == ApplicationTagEscape && (!type3 || reference == referenceMask))
            {
                continue;
            }

            if ((checks & ProtectionInformationChecks.Guard) != 0)
            {
                ulong actual = run.Wide ? BinaryPrimitives.ReadUInt64BigEndian(pi) : BinaryPrimitives.ReadUInt16BigEndian(pi);
                ulong expected = run.Guard(data, md, i);
                if (actual != expected)
                {
                    return new ProtectionInformationResult(i, ProtectionInformationField.Guard, expected, actual);
                }
            }

            if ((checks & ProtectionInformationChecks.ApplicationTag) != 0)
            {
                ulong actual = (ulong)(application & tags.ApplicationTagMask);
                if (actual != expectedApplication)
                {
                    return new ProtectionInformationResult(i, ProtectionInformationField.ApplicationTag, expectedApplication, actual);
                }
            }

            if ((checks & ProtectionInformationChecks.ReferenceTag) != 0 && !type3)
            {
                ulong expected = run.ReferenceTag(i);
                if (reference != expected)
                {
                    return new ProtectionInformationResult(i, ProtectionInformationField.ReferenceTag, expected, reference);
                }
            }
        }

        return ProtectionInformationResult.Valid;
    }

    /// <summary>The block count, or an error message (for callers that report statuses instead of throwing).</summary>
    internal static int TryGetBlockCount(in ProtectionInformationFormat format, int dataLength, int metadataLength, out string? error)
    {
        error = null;
        if (format.Guard is not (ProtectionInformationGuard.Crc16 or ProtectionInformationGuard.Crc64))
        {
            error = $"Unknown guard format {format.Guard}.";
            return 0;
        }

        if (format.Type is not (ProtectionInformationType.Type1 or ProtectionInformationType.Type2 or ProtectionInformationType.Type3))
        {
            error = $"Unknown protection information type {format.Type}.";
            return 0;
        }

        if (format.DataSize <= 0)
        {
            error = $"The data size of a block must be positive; got {format.DataSize}.";
            return 0;
        }

        if (format.MetadataSize < format.PiSize || (long)format.DataSize + format.MetadataSize > int.MaxValue)
        {
            error = $"{format.MetadataSize} bytes of metadata per block cannot hold the {format.PiSize}-byte protection information of the {format.Guard} guard format.";
            return 0;
        }

        int stride = format.DataStride;
        if (dataLength < 0 || dataLength % stride != 0)
        {
            error = $"The data buffer ({dataLength} bytes) is not a whole number of {stride}-byte blocks.";
            return 0;
        }

        int blocks = dataLength / stride;
        long expectedMetadata = format.Interleaved ? 0 : (long)blocks * format.MetadataSize;
        if (metadataLength != expectedMetadata)
        {
            error = format.Interleaved
                ? $"An interleaved (extended LBA) format has no separate metadata buffer; got {metadataLength} bytes."
                : $"The metadata buffer holds {metadataLength} bytes; {blocks} blocks of {format.MetadataSize} bytes of metadata need {expectedMetadata}.";
            return 0;
        }

        return blocks;
    }

    /// <summary>The layout of a run worked out once, so the per-block loop only slices and computes.</summary>
    private readonly ref struct Run
    {
        public readonly int DataSize;
        public readonly int Stride;
        public readonly int MetadataSize;
        public readonly int PiOffset;
        public readonly bool Wide;
        public readonly bool Interleaved;

        /// <summary>Bytes the guard covers after the data: with the PI last, the metadata before it.</summary>
        private readonly int _covered;
        private readonly ulong _referenceBase;
        private readonly ulong _referenceStep;
        private readonly ulong _referenceMask;

        public Run(in ProtectionInformationFormat format, in ProtectionInformationTags tags)
        {
            DataSize = format.DataSize;
            Stride = format.DataStride;
            MetadataSize = format.MetadataSize;
            PiOffset = format.PiOffset;
            Wide = format.Guard == ProtectionInformationGuard.Crc64;
            Interleaved = format.Interleaved;
            _covered = format.PiFirst ? 0 : format.PiOffset;
            _referenceBase = format.Type == ProtectionInformationType.Type1 ? tags.FirstLba : tags.InitialReferenceTag;
            _referenceStep = format.Type == ProtectionInformationType.Type3 ? 0UL : 1UL;
            _referenceMask = format.ReferenceTagMask;
        }

        /// <summary>The reference tag of block <paramref name="index"/>: type 1 counts from the LBA, type 2 from the initial tag, type 3 keeps the initial tag.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong ReferenceTag(int index) => (_referenceBase + (_referenceStep * (ulong)index)) & _referenceMask;

        /// <summary>
        /// The guard of block <paramref name="index"/>: the CRC of its data, followed (PI last) by the
        /// metadata bytes before the PI. Interleaved, those bytes follow the data, so one CRC call covers both.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Guard(ReadOnlySpan<byte> data, ReadOnlySpan<byte> md, int index)
        {
            int start = index * Stride;
            if (Interleaved || _covered == 0)
            {
                ReadOnlySpan<byte> block = data.Slice(start, DataSize + (Interleaved ? _covered : 0));
                return Wide ? Crc64Nvme.Compute(block) : Crc16T10Dif.Compute(block);
            }

            ReadOnlySpan<byte> dataBlock = data.Slice(start, DataSize);
            ReadOnlySpan<byte> prefix = md[.._covered];
            return Wide
                ? Crc64Nvme.Append(Crc64Nvme.Compute(dataBlock), prefix)
                : Crc16T10Dif.Append(Crc16T10Dif.Compute(dataBlock), prefix);
        }
    }
}
