using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>offloadread</c>: the software engine's read chain (XTS decrypt, LZ4 decompress,
/// PI verify) and a bare PI verify on stored data and metadata that come from outside (a disk,
/// a peer), under a layout the input picks.
/// </summary>
/// <remarks>
/// <para>Byte 0: bits 0..2 the chain steps, bit 3 the 64b guard, bit 4 interleaved metadata, bit 5
/// PI first, bits 6..7 the PI type (0 and 1 = type 1). Byte 1: bits 0..1 the block count minus one,
/// bit 2 4096-byte blocks (else 512), bits 3..4 metadata beyond the PI (0, 8, 48 or 56 bytes), bits
/// 5..7 the PRCHK flags. Bytes 2..3: the LZ4 block length (little-endian). Then the separate
/// metadata (when not interleaved), then the stored payload.</para>
/// <para>The payload, the metadata and the destination each end where a guard page starts, so a
/// read or write past any of them faults. Every operation must complete exactly once with a status
/// its kind can give; no exception may escape.</para>
/// </remarks>
public static class OffloadReadTarget
{
    /// <summary>Usable bytes of each guarded region.</summary>
    public const int RegionSize = 64 * 1024;

    /// <summary>The fixed XTS key the seeds were written with.</summary>
    public static ReadOnlySpan<byte> XtsKey => "offload-read fuzz target key, 64 bytes: data key then tweak key."u8;

    private static readonly Lazy<DmaRegion> Payload = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<DmaRegion> Metadata = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<DmaRegion> Output = new(() => GuardedRegion.Create(RegionSize));
    private static readonly Lazy<(SoftwareEngine Engine, IOffloadQueuePair QueuePair, OffloadKey Key)> Engine = new(() =>
    {
        var engine = new SoftwareEngine(new OffloadEngineOptions { MaxDataSize = RegionSize });
        return (engine, engine.CreateQueuePair(4), engine.LoadKey(OffloadKeyKind.AesXts256, XtsKey));
    });

    /// <summary>The layout bytes 0 and 1 pick.</summary>
    public static (OffloadChainSteps Steps, ProtectionInformationFormat Format, int Blocks, ProtectionInformationChecks Checks) Layout(byte b0, byte b1)
    {
        var guard = (b0 & 8) != 0 ? ProtectionInformationGuard.Crc64 : ProtectionInformationGuard.Crc16;
        int piSize = guard == ProtectionInformationGuard.Crc64 ? 16 : 8;
        var type = (ProtectionInformationType)Math.Max(1, b0 >> 6);
        int extra = ((b1 >> 3) & 3) switch { 0 => 0, 1 => 8, 2 => 48, _ => 56 };
        var format = new ProtectionInformationFormat((b1 & 4) != 0 ? 4096 : 512, piSize + extra, guard, type, PiFirst: (b0 & 32) != 0, Interleaved: (b0 & 16) != 0);
        return ((OffloadChainSteps)(b0 & 7), format, (b1 & 3) + 1, (ProtectionInformationChecks)(b1 >> 5));
    }

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 4)
        {
            return;
        }

        (OffloadChainSteps steps, ProtectionInformationFormat format, int blocks, ProtectionInformationChecks checks) = Layout(input[0], input[1]);
        int compressedLength = BinaryPrimitives.ReadUInt16LittleEndian(input[2..]);
        ReadOnlySpan<byte> rest = input[4..];
        int metadataLength = format.Interleaved ? 0 : blocks * format.MetadataSize;
        DmaSlice md = Guarded(Metadata.Value, rest[..Math.Min(metadataLength, rest.Length)], metadataLength);
        rest = rest[Math.Min(metadataLength, rest.Length)..];
        DmaSlice payload = Guarded(Payload.Value, rest, rest.Length);
        DmaSlice destination = Guarded(Output.Value, [], blocks * format.DataStride);

        (SoftwareEngine _, IOffloadQueuePair qp, OffloadKey key) = Engine.Value;
        var tags = new ProtectionInformationTags(0, 0, 0);
        OffloadOp read = OffloadOp.Read(steps, key, payload, compressedLength, destination, md, 0, format, tags, checks, 1);
        OffloadOp verify = OffloadOp.ProtectionInformation(OffloadOpKind.PiVerify, payload, md, format, tags, checks, 2);
        OffloadOp unpack = OffloadOp.Lz4(OffloadOpKind.Lz4Decompress, payload, destination, 3);
        Check(qp.Submit([read, verify, unpack]) == 3, "a queue of depth 4 refused three operations");
        Span<OffloadCompletion> done = stackalloc OffloadCompletion[4];
        Check(qp.Poll(done) == 3, "not exactly one completion per operation");
        Check(qp.Poll(done) == 0, "a completion too many");
        for (int i = 0; i < 3; i++)
        {
            OffloadCompletion c = done[i];
            Check(c.UserData == (ulong)i + 1, "completions out of order or user data changed");
            Check(
                c.Status is OffloadStatus.Success or OffloadStatus.InvalidArgument or OffloadStatus.CorruptData
                    or OffloadStatus.PiGuardError or OffloadStatus.PiAppTagError or OffloadStatus.PiRefTagError,
                $"unexpected status {c.Status} for {c.Kind}");
            if (c.Status is OffloadStatus.PiGuardError or OffloadStatus.PiAppTagError or OffloadStatus.PiRefTagError)
            {
                Check(c.ErrorBlockIndex >= 0 && c.ErrorBlockIndex < Math.Max(blocks, payload.Length / format.DataStride), "PI error outside the run");
            }
        }

        Check(done[0].Status != OffloadStatus.Success || done[0].BytesProduced == destination.Length, "a read chain succeeded without filling its destination");
        Check(done[2].BytesProduced <= destination.Length, "LZ4 wrote past its destination");
    }

    /// <summary>A slice of <paramref name="length"/> bytes ending at the guard page, starting with <paramref name="bytes"/> (the rest zeros).</summary>
    private static DmaSlice Guarded(DmaRegion region, ReadOnlySpan<byte> bytes, int length)
    {
        length = Math.Min(length, RegionSize);
        var slice = new DmaSlice(region, RegionSize - length, length);
        Span<byte> span = slice.Span;
        span.Clear();
        bytes[..Math.Min(bytes.Length, length)].CopyTo(span);
        return slice;
    }

    private static void Check([DoesNotReturnIf(false)] bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzFailureException(message);
        }
    }
}
