using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>
/// The MPPA engine's reading of device completions: the answers a correct device gives map to the
/// software engine's completions, and every number a device could get wrong — bytes, CRC width, PI block
/// and field values, a status the operation cannot have — makes it a device failure instead. Cookies:
/// a completion counts only for a slot in flight on that region with that sequence.
/// </summary>
public sealed class MppaCompletionMapTests : IDisposable
{
    private readonly DmaRegion _region = DmaRegion.Create(1 << 20, PageKind.Small, lockMemory: false);

    public void Dispose() => _region.Dispose();

    public static TheoryData<string, int, int, uint, ulong, bool> Answers() => new()
    {
        // What, kind (OffloadOpKind), status, bytes, result, accepted?
        { "crc32c", 1, 0, 0, 0xE3069283, true },
        { "crc32c wider than 32 bits", 1, 0, 0, 0x1_0000_0000, false },
        { "crc64", 2, 0, 0, ulong.MaxValue, true },
        { "crc16", 3, 0, 0, 0xFFFF, true },
        { "crc16 wider than 16 bits", 3, 0, 0, 0x1_0000, false },
        { "lz4 compress", 6, 0, 4104, 0, true },
        { "lz4 compress past the destination", 6, 0, 4105, 0, false },
        { "lz4 compress, all-ones bytes", 6, 0, uint.MaxValue, 0, false },
        { "lz4 compress out of room", 6, 3, 0, 0, true },
        { "lz4 decompress corrupt", 7, 4, 0, 0, true },
        { "lz4 compress cannot be corrupt", 6, 4, 0, 0, false },
        { "xts: the source length", 8, 0, 4096, 0, true },
        { "xts: fewer bytes than the source", 8, 0, 4095, 0, false },
        { "gcm open: the tag did not verify", 11, 9, 0, 0, true },
        { "gcm seal checks no tag", 10, 9, 0, 0, false },
        { "write chain", 12, 0, 2000, 1500, true },
        { "write chain: LZ4 block longer than the payload", 12, 0, 2000, 2001, false },
        { "write chain: payload under the 16-byte floor", 12, 0, 15, 10, false },
        { "write chain: payload past the destination", 12, 0, 4105, 100, false },
        { "read chain: the destination exactly", 13, 0, 4104, 0, true },
        { "read chain: short", 13, 0, 4103, 0, false },
        { "invalid is not an answer for a checked descriptor", 1, 1, 0, 0, false },
        { "range", 1, 2, 0, 0, false },
        { "key", 8, 6, 0, 0, false },
        { "device error", 1, 8, 0, 0, false },
        { "a status outside the ABI", 1, 0x5A5A5A5A, 0, 0, false },
        { "a negative status", 1, -1, 0, 0, false },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void DeviceAnswersAreAcceptedOnlyWhenTheOperationCanHaveThem(string what, int kind, int status, uint bytes, ulong result, bool accepted)
    {
        var op = new MppaSlotOp(Op((OffloadOpKind)kind));
        var c = new DpuCompletion { Cookie = 1, Status = status, Bytes = bytes, Result = result };
        Assert.True(accepted == MppaCompletionMap.TryMap(op, c, out OffloadCompletion done), what);
        if (accepted)
        {
            Assert.Equal(op.UserData, done.UserData);
            Assert.Equal((OffloadOpKind)kind, done.Kind);
            Assert.InRange(done.BytesProduced, 0, Math.Max(op.SourceLength, op.DestinationLength));
        }
    }

    [Theory]
    [InlineData(DpuAbi.PiFieldGuard, 7u, 0xFFFFUL, true)]
    [InlineData(DpuAbi.PiFieldApp, 0u, 0x1234UL, true)]
    [InlineData(DpuAbi.PiFieldRef, 3u, 0xFFFF_FFFFUL, true)]
    [InlineData(DpuAbi.PiFieldGuard, 8u, 0x1UL, false)]          // block 8 of an 8-block run
    [InlineData(DpuAbi.PiFieldGuard, uint.MaxValue, 0x1UL, false)]
    [InlineData(DpuAbi.PiFieldApp, 0u, 0x1_0000UL, false)]       // wider than the 16-bit tag
    [InlineData(DpuAbi.PiFieldRef, 0u, 0x1_0000_0000UL, false)]  // wider than the 32-bit ref tag of the 16b-guard format
    [InlineData(0, 0u, 0x1UL, false)]
    [InlineData(4, 0u, 0x1UL, false)]
    public void PiErrorsNameABlockInTheRunAndValuesThatFitTheirField(byte field, uint block, ulong value, bool accepted)
    {
        var op = new MppaSlotOp(Op(OffloadOpKind.PiVerify));
        var c = new DpuCompletion { Cookie = 1, Status = (int)DpuStatus.ProtectionInformation, PiErrorField = field, PiErrorBlock = block, PiExpected = value, PiActual = 0 };
        Assert.Equal(accepted, MppaCompletionMap.TryMap(op, c, out OffloadCompletion done));
        if (accepted)
        {
            Assert.Equal((int)block, done.ErrorBlockIndex);
            Assert.Equal(value, done.Expected);
        }

        // A PI error on a read chain without the PI step, or on an LZ4 op, is not an answer.
        Assert.False(MppaCompletionMap.TryMap(new MppaSlotOp(Op(OffloadOpKind.ReadChain) with { Steps = OffloadChainSteps.Compression }), c, out _));
        Assert.False(MppaCompletionMap.TryMap(new MppaSlotOp(Op(OffloadOpKind.Lz4Decompress)), c, out _));
    }

    [Fact]
    public void CookiesCountOnlyForTheirSlotSequenceAndRegion()
    {
        var slots = new MppaSlots(4);
        int slot = slots.Take(Op(OffloadOpKind.Crc32C), out ulong cookie);
        slots.MarkSubmitted(slot, 1, 0);
        Assert.Equal(1, slots.InFlight);
        var ok = new DpuCompletion { Cookie = cookie, Status = 0, Result = 7 };
        Assert.Equal(MppaCompletionOutcome.Stale, slots.Accept(0, ok, out _, out _));                        // the other region
        Assert.Equal(MppaCompletionOutcome.Stale, slots.Accept(1, ok with { Cookie = cookie + (1UL << 32) }, out _, out _)); // another sequence
        Assert.Equal(MppaCompletionOutcome.Stale, slots.Accept(1, ok with { Cookie = 4 }, out _, out _));     // past the slots
        Assert.Equal(MppaCompletionOutcome.Stale, slots.Accept(1, ok with { Cookie = (cookie & ~0xFFFFFFFFUL) | 2 }, out _, out _)); // a free slot
        Assert.Equal(MppaCompletionOutcome.Mapped, slots.Accept(1, ok, out int accepted, out OffloadCompletion done));
        Assert.Equal(slot, accepted);
        Assert.Equal(7UL, done.Value);
        slots.Release(slot);
        Assert.Equal(0, slots.InFlight);
        Assert.Equal(MppaCompletionOutcome.Stale, slots.Accept(1, ok, out _, out _));                         // a duplicate

        // The slot comes back with a new sequence: the old cookie stays stale.
        int again = slots.Take(Op(OffloadOpKind.Crc32C), out ulong next);
        slots.MarkSubmitted(again, 1, 0);
        Assert.NotEqual(cookie, next);
        Assert.Equal(MppaCompletionOutcome.Stale, slots.Accept(1, ok, out _, out _));
        Assert.Equal(MppaCompletionOutcome.DeviceFailure, slots.Accept(1, ok with { Cookie = next, Status = (int)DpuStatus.Device }, out _, out _));
    }

    [Fact]
    public void ASlotOpRebuildsTheOperation()
    {
        OffloadOp op = Op(OffloadOpKind.WriteChain);
        Assert.Equal(op, new MppaSlotOp(op).ToOp(_region));
        OffloadOp gcm = OffloadOp.Gcm(OffloadOpKind.GcmOpen, new OffloadKey(OffloadKeyKind.AesGcm256, 3, 9), default, default,
            new DmaSlice(_region, 100, 16), new DmaSlice(_region, 200, 40), 77);
        Assert.Equal(gcm, new MppaSlotOp(gcm).ToOp(_region));
    }

    /// <summary>An operation of <paramref name="kind"/>: 4 KiB source, 4104-byte destination, 8 blocks of 512 with separate 8-byte PI.</summary>
    private OffloadOp Op(OffloadOpKind kind) => new()
    {
        Kind = kind,
        UserData = 42,
        Steps = OffloadChainSteps.All,
        Source = new DmaSlice(_region, 0, 4096),
        Destination = new DmaSlice(_region, 8192, 4104),
        Metadata = new DmaSlice(_region, 16384, 64),
        Key = new OffloadKey(OffloadKeyKind.AesXts256, 1, 1),
        Lba = 5,
        BlockSize = 512,
        PiFormat = new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1),
        PiTags = new ProtectionInformationTags(5, 0, 0x1234),
        PiChecks = ProtectionInformationChecks.All,
    };
}
