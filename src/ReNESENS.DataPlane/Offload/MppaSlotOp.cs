using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// An <see cref="OffloadOp"/> in flight on a device queue pair, kept without its buffers' region: every
/// buffer of an operation the device takes lies in the one region of that queue pair, so offsets and
/// lengths are enough, and a slot holds no reference (storing one costs a GC write barrier per field).
/// <see cref="ToOp"/> rebuilds the operation when software must run it.
/// </summary>
internal struct MppaSlotOp
{
    public ulong UserData;
    public OffloadOpKind Kind;
    public OffloadChainSteps Steps;
    public long SourceOffset;
    public long DestinationOffset;
    public long MetadataOffset;
    public long AuxiliaryOffset;
    public int SourceLength;
    public int DestinationLength;
    public int MetadataLength;
    public int AuxiliaryLength;
    public OffloadKey Key;
    public ulong Lba;
    public int BlockSize;
    public int CompressedLength;
    public ProtectionInformationChecks PiChecks;
    public ProtectionInformationFormat PiFormat;
    public ProtectionInformationTags PiTags;

    /// <summary>Copies <paramref name="op"/> (whose non-empty buffers share one region).</summary>
    internal MppaSlotOp(in OffloadOp op)
    {
        UserData = op.UserData;
        Kind = op.Kind;
        Steps = op.Steps;
        SourceOffset = op.Source.Offset;
        SourceLength = op.Source.Length;
        DestinationOffset = op.Destination.Offset;
        DestinationLength = op.Destination.Length;
        MetadataOffset = op.Metadata.Offset;
        MetadataLength = op.Metadata.Length;
        AuxiliaryOffset = op.Auxiliary.Offset;
        AuxiliaryLength = op.Auxiliary.Length;
        Key = op.Key;
        Lba = op.Lba;
        BlockSize = op.BlockSize;
        CompressedLength = op.CompressedLength;
        PiChecks = op.PiChecks;
        PiFormat = op.PiFormat;
        PiTags = op.PiTags;
    }

    /// <summary>The operation again, its buffers in <paramref name="region"/> (an empty buffer comes back as the empty slice).</summary>
    internal readonly OffloadOp ToOp(DmaRegion region) => new()
    {
        UserData = UserData,
        Kind = Kind,
        Steps = Steps,
        Source = Slice(region, SourceOffset, SourceLength),
        Destination = Slice(region, DestinationOffset, DestinationLength),
        Metadata = Slice(region, MetadataOffset, MetadataLength),
        Auxiliary = Slice(region, AuxiliaryOffset, AuxiliaryLength),
        Key = Key,
        Lba = Lba,
        BlockSize = BlockSize,
        CompressedLength = CompressedLength,
        PiChecks = PiChecks,
        PiFormat = PiFormat,
        PiTags = PiTags,
    };

    private static DmaSlice Slice(DmaRegion region, long offset, int length) => length == 0 ? default : new DmaSlice(region, offset, length);
}
