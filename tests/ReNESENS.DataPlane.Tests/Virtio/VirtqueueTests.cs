using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Virtio;

/// <summary>Split and packed virtqueues against a fake driver that forges descriptors in shared memory.</summary>
public sealed unsafe class VirtqueueTests
{
    private const ushort Next = 1;
    private const ushort Write = 2;
    private const ushort Indirect = 4;

    [Fact]
    public void ASplitChainIsTakenWithItsBytesAndReturnedInTheUsedRing()
    {
        using var g = new FakeGuest();
        FakeGuest.DataOffsetBytes(g, 0, "hello ");
        FakeGuest.DataOffsetBytes(g, 100, "world");
        g.WriteSplit(3, FakeGuest.Gpa(FakeGuest.DataOffset), 6, Next, 7);
        g.WriteSplit(7, FakeGuest.Gpa(FakeGuest.DataOffset + 100), 5, 0, 0);
        g.PublishSplit(3);
        SplitVirtqueue q = g.Split();

        Assert.True(q.TryTake(deviceWrites: false, out VirtqueueBuffer b));
        Assert.Equal(3, b.Id);
        Assert.Equal(11, b.Length);
        Assert.Equal("hello world", Read(q, b));
        Assert.False(q.TryTake(false, out _));
        q.AddUsed(b, 0);
        Assert.Equal(0, g.UsedIndex);
        q.Flush();
        Assert.Equal(1, g.UsedIndex);
        Assert.Equal((3u, 0u), g.Used(0));
        Assert.Equal(VirtqueueError.None, q.Error);
    }

    [Theory]
    [InlineData(FakeGuest.GuestBase - 1, 4u)] // starts before the region
    [InlineData(FakeGuest.GuestBase + FakeGuest.MemorySize - 10, 20u)] // runs past its end
    [InlineData(FakeGuest.GuestBase + FakeGuest.MemorySize, 1u)] // just past it
    [InlineData(ulong.MaxValue - 5, 100u)] // address + length overflows
    [InlineData(0UL, 16u)]
    public void ADescriptorOutsideGuestMemoryStopsTheQueue(ulong address, uint length)
    {
        using var g = new FakeGuest();
        g.WriteSplit(0, address, length, 0, 0);
        g.PublishSplit(0);
        g.WriteSplit(1, FakeGuest.Gpa(FakeGuest.DataOffset), 10, 0, 0);
        g.PublishSplit(1);
        SplitVirtqueue q = g.Split();

        Assert.False(q.TryTake(false, out _));
        Assert.Equal(VirtqueueError.DescriptorOutOfRange, q.Error);

        // Stopped for good: the good buffer behind it is not taken either.
        Assert.False(q.TryTake(false, out _));
        Assert.False(q.HasAvailable());
    }

    [Fact]
    public void ALoopingChainIsCutAtTheQueueSize()
    {
        using var g = new FakeGuest(size: 8);
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 4, Next, 1);
        g.WriteSplit(1, FakeGuest.Gpa(FakeGuest.DataOffset), 4, Next, 0);
        g.PublishSplit(0);
        SplitVirtqueue q = g.Split();
        Assert.False(q.TryTake(false, out _));
        Assert.Equal(VirtqueueError.ChainTooLong, q.Error);
    }

    [Fact]
    public void ANextIndexPastTheTableAndAHeadPastTheRingAreRefused()
    {
        using var g = new FakeGuest(size: 8);
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 4, Next, 8);
        g.PublishSplit(0);
        SplitVirtqueue q = g.Split();
        Assert.False(q.TryTake(false, out _));
        Assert.Equal(VirtqueueError.DescriptorIndexOutOfRange, q.Error);

        using var g2 = new FakeGuest(size: 8);
        g2.PublishSplit(200);
        SplitVirtqueue q2 = g2.Split();
        Assert.False(q2.TryTake(false, out _));
        Assert.Equal(VirtqueueError.DescriptorIndexOutOfRange, q2.Error);
    }

    [Theory]
    [InlineData(false, Write)] // the device reads a buffer the driver marked device-writable
    [InlineData(true, 0)] // the device writes a buffer the driver marked read-only
    public void ADescriptorInTheWrongDirectionStopsTheQueue(bool deviceWrites, ushort flags)
    {
        using var g = new FakeGuest();
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 64, flags, 0);
        g.PublishSplit(0);
        SplitVirtqueue q = g.Split();
        Assert.False(q.TryTake(deviceWrites, out _));
        Assert.Equal(VirtqueueError.WrongDirection, q.Error);
    }

    [Fact]
    public void AnIndirectTableIsWalkedWhenNegotiated()
    {
        using var g = new FakeGuest();
        FakeGuest.DataOffsetBytes(g, 0, "abc");
        FakeGuest.DataOffsetBytes(g, 50, "defg");
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 3, Next, 1, FakeGuest.IndirectOffset);
        g.WriteSplit(1, FakeGuest.Gpa(FakeGuest.DataOffset + 50), 4, 0, 0, FakeGuest.IndirectOffset);
        g.WriteSplit(5, FakeGuest.Gpa(FakeGuest.IndirectOffset), 32, Indirect, 0);
        g.PublishSplit(5);

        SplitVirtqueue q = g.Split(indirect: true);
        Assert.True(q.TryTake(false, out VirtqueueBuffer b));
        Assert.Equal(5, b.Id);
        Assert.Equal("abcdefg", Read(q, b));

        // The same ring without the feature negotiated: refused.
        SplitVirtqueue refused = g.Split(indirect: false);
        Assert.False(refused.TryTake(false, out _));
        Assert.Equal(VirtqueueError.InvalidIndirect, refused.Error);
    }

    [Theory]
    [InlineData(Indirect, 32u, Indirect)] // an indirect descriptor inside an indirect table
    [InlineData(Indirect | Next, 32u, 0)] // indirect with NEXT
    [InlineData(Indirect, 0u, 0)] // empty table
    [InlineData(Indirect, 24u, 0)] // not a multiple of 16
    [InlineData(Indirect, 16u * 300, 0)] // more entries than the queue size
    public void ForgedIndirectDescriptorsAreRefused(ushort headFlags, uint tableLength, ushort entryFlags)
    {
        using var g = new FakeGuest();
        for (int i = 0; i < 300; i++)
        {
            g.WriteSplit(i, FakeGuest.Gpa(FakeGuest.IndirectOffset), 16, entryFlags, 0, FakeGuest.IndirectOffset);
        }

        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.IndirectOffset), tableLength, headFlags, 1);
        g.WriteSplit(1, FakeGuest.Gpa(FakeGuest.DataOffset), 4, 0, 0);
        g.PublishSplit(0);
        SplitVirtqueue q = g.Split(indirect: true);
        Assert.False(q.TryTake(false, out _));
        Assert.Equal(VirtqueueError.InvalidIndirect, q.Error);
    }

    [Fact]
    public void AnIndirectDescriptorAfterADirectOneIsRefused()
    {
        using var g = new FakeGuest();
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 4, Next, 1);
        g.WriteSplit(1, FakeGuest.Gpa(FakeGuest.IndirectOffset), 16, Indirect, 0);
        g.PublishSplit(0);
        SplitVirtqueue q = g.Split(indirect: true);
        Assert.False(q.TryTake(false, out _));
        Assert.Equal(VirtqueueError.InvalidIndirect, q.Error);
    }

    [Fact]
    public void AnAvailableIndexThatJumpsPastTheQueueSizeStopsTheQueue()
    {
        using var g = new FakeGuest(size: 16);
        g.SetAvailIndex(17);
        SplitVirtqueue q = g.Split();
        Assert.False(q.TryTake(false, out _));
        Assert.Equal(VirtqueueError.AvailableIndexJump, q.Error);
    }

    [Fact]
    public void IndicesWrapAroundSixteenBits()
    {
        using var g = new FakeGuest(size: 8, start: 65530);
        SplitVirtqueue q = g.Split(start: 65530);
        for (int i = 0; i < 20; i++)
        {
            g.WriteSplit(i % 8, FakeGuest.Gpa(FakeGuest.DataOffset + i), 1, 0, 0);
            g.PublishSplit((ushort)(i % 8));
            Assert.True(q.TryTake(false, out VirtqueueBuffer b));
            Assert.Equal(i % 8, b.Id);
            q.AddUsed(b, 0);
            q.Flush();
            q.ResetSegments();
            Assert.Equal((ushort)(65530 + i + 1), g.UsedIndex);
        }

        Assert.Equal(14u, q.GetBase()); // 65550 mod 65536
        Assert.Equal(VirtqueueError.None, q.Error);
    }

    [Fact]
    public void UsedElementsOfOneBurstReachTheRingAcrossItsEndAndPastARingsWorth()
    {
        // Ring of 4 starting at 2: one burst of 11 buffers (a driver that reposts while the device takes) wraps the
        // used ring twice before its one publish; the ring then holds the last four, each at its own slot.
        using var g = new FakeGuest(size: 4, start: 2);
        SplitVirtqueue q = g.Split(start: 2);
        ushort before = g.UsedIndex;
        for (int i = 0; i < 11; i++)
        {
            int id = (i + 2) % 4;
            g.WriteSplit(id, FakeGuest.Gpa(FakeGuest.DataOffset + i), 1, 0, 0);
            g.PublishSplit((ushort)id);
            Assert.True(q.TryTake(false, out VirtqueueBuffer b));
            q.AddUsed(b, (uint)(100 + i));
            q.ResetSegments();
        }

        Assert.Equal(before, g.UsedIndex); // Nothing published before the flush.
        q.Flush();
        Assert.Equal(13, g.UsedIndex);
        for (int used = 9; used < 13; used++)
        {
            Assert.Equal(((uint)(used % 4), (uint)(100 + used - 2)), g.Used(used));
        }
    }

    [Fact]
    public void EventIndexSuppressesInterruptsUntilTheDriversUsedEvent()
    {
        using var g = new FakeGuest(size: 16);
        using EventFd call = EventFd.Create();
        SplitVirtqueue q = g.Split(eventIndex: true);
        q.Call = call;
        g.SetUsedEvent(2); // interrupt me when used idx passes 2
        for (int i = 0; i < 4; i++)
        {
            g.WriteSplit(i, FakeGuest.Gpa(FakeGuest.DataOffset), 1, 0, 0);
            g.PublishSplit((ushort)i);
            Assert.True(q.TryTake(false, out VirtqueueBuffer b));
            q.AddUsed(b, 0);
            q.Flush();
            q.ResetSegments();

            // used idx goes 1, 2, 3, 4: only the step from 2 to 3 crosses used_event = 2.
            Assert.Equal(i == 2, call.TryRead(out _));
        }
    }

    [Fact]
    public void WithoutEventIndexTheNoInterruptFlagIsHonoured()
    {
        using var g = new FakeGuest(size: 16);
        using EventFd call = EventFd.Create();
        SplitVirtqueue q = g.Split();
        q.Call = call;
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 1, 0, 0);
        g.PublishSplit(0);
        Assert.True(q.TryTake(false, out VirtqueueBuffer b));
        q.AddUsed(b, 0);
        q.Flush();
        Assert.True(call.TryRead(out _));

        g.Bytes[FakeGuest.AvailOffset] = 1; // VRING_AVAIL_F_NO_INTERRUPT
        g.WriteSplit(1, FakeGuest.Gpa(FakeGuest.DataOffset), 1, 0, 0);
        g.PublishSplit(1);
        q.ResetSegments();
        Assert.True(q.TryTake(false, out b));
        q.AddUsed(b, 0);
        q.Flush();
        Assert.False(call.TryRead(out _));
    }

    [Fact]
    public void APackedRingTakesChainsAndWritesUsedDescriptorsWithTheWrapCounter()
    {
        using var g = new FakeGuest(size: 4);
        PackedVirtqueue q = g.Packed();
        for (int round = 0; round < 6; round++)
        {
            // Chains of two descriptors: the ring wraps every other round.
            FakeGuest.DataOffsetBytes(g, 0, "ab");
            int head = g.PublishPacked((ushort)(round % 4), (FakeGuest.Gpa(FakeGuest.DataOffset), 1, Write), (FakeGuest.Gpa(FakeGuest.DataOffset + 1), 1, Write));
            Assert.True(q.TryTake(deviceWrites: true, out VirtqueueBuffer b));
            Assert.Equal(round % 4, b.Id);
            Assert.Equal(2, b.SlotCount);
            Assert.False(q.TryTake(true, out _));
            q.AddUsed(b, 2);
            q.Flush();
            q.ResetSegments();
            (ushort id, uint length, ushort flags) = g.PackedAt(head);
            bool wrap = (round / 2) % 2 == 0;
            Assert.Equal(round % 4, id);
            Assert.Equal(2u, length);
            Assert.Equal(wrap ? 0x8080 | Write : Write, flags);
        }

        Assert.Equal(VirtqueueError.None, q.Error);
    }

    [Fact]
    public void PackedRingRefusesOutOfRangeAndIndirectInIndirect()
    {
        using (var g = new FakeGuest(size: 8))
        {
            PackedVirtqueue q = g.Packed();
            g.PublishPacked(0, (FakeGuest.GuestBase + FakeGuest.MemorySize - 8, 64, 0));
            Assert.False(q.TryTake(false, out _));
            Assert.Equal(VirtqueueError.DescriptorOutOfRange, q.Error);
        }

        using (var g = new FakeGuest(size: 8))
        {
            // A packed descriptor keeps its flags where a split one keeps next (offset 14).
            g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.IndirectOffset), 16, 0, Indirect, FakeGuest.IndirectOffset);
            PackedVirtqueue q = g.Packed(indirect: true);
            g.PublishPacked(0, (FakeGuest.Gpa(FakeGuest.IndirectOffset), 16, Indirect));
            Assert.False(q.TryTake(false, out _));
            Assert.Equal(VirtqueueError.InvalidIndirect, q.Error);
        }

        using (var g = new FakeGuest(size: 8))
        {
            PackedVirtqueue q = g.Packed();
            g.PublishPacked(9, (FakeGuest.Gpa(FakeGuest.DataOffset), 16, 0));
            Assert.False(q.TryTake(false, out _));
            Assert.Equal(VirtqueueError.DescriptorIndexOutOfRange, q.Error);
        }
    }

    [Fact]
    public void RingAreasOutsideGuestMemoryOrMisalignedAreRefused()
    {
        using var g = new FakeGuest();
        Assert.Null(SplitVirtqueue.Create(g.Memory, 256, FakeGuest.UserBase + FakeGuest.MemorySize - 100, FakeGuest.UserBase + FakeGuest.AvailOffset, FakeGuest.UserBase + FakeGuest.UsedOffset, 0, false, false));
        Assert.Null(SplitVirtqueue.Create(g.Memory, 256, FakeGuest.UserBase + 8, FakeGuest.UserBase + FakeGuest.AvailOffset, FakeGuest.UserBase + FakeGuest.UsedOffset, 0, false, false));
        Assert.Null(SplitVirtqueue.Create(g.Memory, 100, FakeGuest.UserBase, FakeGuest.UserBase + FakeGuest.AvailOffset, FakeGuest.UserBase + FakeGuest.UsedOffset, 0, false, false));
        Assert.Null(SplitVirtqueue.Create(g.Memory, 256, FakeGuest.GuestBase, FakeGuest.GuestBase + FakeGuest.AvailOffset, FakeGuest.GuestBase + FakeGuest.UsedOffset, 0, false, false));
        Assert.Null(PackedVirtqueue.Create(g.Memory, 256, FakeGuest.UserBase, FakeGuest.UserBase + FakeGuest.AvailOffset, ulong.MaxValue - 1, 0, false, false));
        Assert.Null(PackedVirtqueue.Create(g.Memory, 256, FakeGuest.UserBase, FakeGuest.UserBase + FakeGuest.AvailOffset, FakeGuest.UserBase + FakeGuest.UsedOffset, 300, false, false));
        Assert.NotNull(PackedVirtqueue.Create(g.Memory, 100, FakeGuest.UserBase, FakeGuest.UserBase + FakeGuest.AvailOffset, FakeGuest.UserBase + FakeGuest.UsedOffset, 99, false, false));
    }

    private static string Read(Virtqueue q, in VirtqueueBuffer b)
    {
        var bytes = new byte[b.Length];
        var cursor = new SegmentCursor(q.GetSegments(b));
        Assert.Equal(bytes.Length, cursor.Read(bytes));
        return System.Text.Encoding.ASCII.GetString(bytes);
    }
}
