using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Tests.Virtio;

/// <summary>A queue pair port over fake-driver rings: header handling, mergeable buffers, drops.</summary>
public sealed class VhostUserPortTests
{
    private const ushort Next = 1;
    private const ushort Write = 2;

    [Fact]
    public void AHeaderSplitOverTwelveOneByteDescriptorsIsGatheredAndApplied()
    {
        using var g = new FakeGuest(size: 32);
        using BufferPool pool = BufferPool.Create(16, 2048, PageKind.Small);
        var port = Attach(g, pool, guestTransmit: true, mergeable: false);

        // NEEDS_CSUM with csum_start 34, csum_offset 6: a UDP checksum in a 60-byte frame.
        byte[] header = new byte[12];
        header[0] = VirtioNetHeader.FlagNeedsChecksum;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 34);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), 6);
        header.CopyTo(g.Bytes[FakeGuest.DataOffset..]);
        for (int i = 0; i < 60; i++)
        {
            g.Bytes[FakeGuest.DataOffset + 12 + i] = (byte)i;
        }

        for (int i = 0; i < 12; i++)
        {
            g.WriteSplit(i, FakeGuest.Gpa(FakeGuest.DataOffset + i), 1, Next, (ushort)(i + 1));
        }

        g.WriteSplit(12, FakeGuest.Gpa(FakeGuest.DataOffset + 12), 60, 0, 0);
        g.PublishSplit(0);

        var burst = new PacketBuffer[4];
        Assert.Equal(1, port.ReceiveBurst(burst));
        PacketBuffer p = burst[0];
        Assert.Equal(60, p.PacketLength);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (byte)i).ToArray(), p.Data.ToArray());
        Assert.Equal(ChecksumState.Partial, p.ChecksumState);
        Assert.Equal(34, p.ChecksumStart);
        Assert.Equal(6, p.ChecksumOffset);
        p.Release();
        Assert.Equal(1, g.UsedIndex);
        Assert.Equal(new VhostUserPortStatistics(1, 60, 0, 0, 0, 0, 0, 0, 0), port.GetStatistics());
    }

    [Fact]
    public void ABadHeaderDropsThePacketButReturnsTheBuffer()
    {
        using var g = new FakeGuest(size: 32);
        using BufferPool pool = BufferPool.Create(16, 2048, PageKind.Small);
        var port = Attach(g, pool, guestTransmit: true, mergeable: false);
        g.Bytes.Slice(FakeGuest.DataOffset, 72).Clear();
        g.Bytes[FakeGuest.DataOffset] = VirtioNetHeader.FlagNeedsChecksum;
        BinaryPrimitives.WriteUInt16LittleEndian(g.Bytes[(FakeGuest.DataOffset + 6)..], 200); // csum_start past the frame
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 72, 0, 0);
        g.PublishSplit(0);
        Assert.Equal(0, port.ReceiveBurst(new PacketBuffer[4]));
        Assert.Equal(1, g.UsedIndex);
        Assert.Equal(1, port.GetStatistics().ReceiveDrops);
        Assert.Equal(16, pool.Available);
    }

    [Fact]
    public void MergeableBuffersCarryAPacketOverSeveralGuestBuffers()
    {
        using var g = new FakeGuest(size: 32);
        using BufferPool pool = BufferPool.Create(16, 2048, PageKind.Small);
        var port = Attach(g, pool, guestTransmit: false, mergeable: true);
        for (int i = 0; i < 8; i++)
        {
            g.WriteSplit(i, FakeGuest.Gpa(FakeGuest.DataOffset + (i * 64)), 40, Write, 0);
            g.PublishSplit((ushort)i);
        }

        Assert.True(pool.TryRent(out PacketBuffer? packet));
        for (int i = 0; i < 100; i++)
        {
            packet.Append(1)[0] = (byte)(i + 1);
        }

        Assert.Equal(1, port.TransmitBurst([packet]));

        // 12 + 100 bytes over 40-byte buffers: three of them, num_buffers = 3, lengths 40, 40, 32.
        Assert.Equal(3, g.UsedIndex);
        Assert.Equal((0u, 40u), g.Used(0));
        Assert.Equal((1u, 40u), g.Used(1));
        Assert.Equal((2u, 32u), g.Used(2));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(g.Bytes[(FakeGuest.DataOffset + 10)..]));
        Assert.Equal(1, g.Bytes[FakeGuest.DataOffset + 12]);
        Assert.Equal(29, g.Bytes[FakeGuest.DataOffset + 64]);
        Assert.Equal(100, g.Bytes[FakeGuest.DataOffset + 128 + 31]);
        Assert.Equal(16, pool.Available);
    }

    [Fact]
    public void WithoutMergeableBuffersATooLargePacketIsDroppedAndTheBufferKept()
    {
        using var g = new FakeGuest(size: 32);
        using BufferPool pool = BufferPool.Create(16, 2048, PageKind.Small);
        var port = Attach(g, pool, guestTransmit: false, mergeable: false);
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 40, Write, 0);
        g.PublishSplit(0);
        Assert.True(pool.TryRent(out PacketBuffer? big));
        big.Append(100);
        Assert.True(pool.TryRent(out PacketBuffer? small));
        small.Append(20);
        Assert.Equal(2, port.TransmitBurst([big, small]));
        Assert.Equal(1, g.UsedIndex);
        Assert.Equal((0u, 32u), g.Used(0));
        VhostUserPortStatistics s = port.GetStatistics();
        Assert.Equal(1, s.TransmitDrops);
        Assert.Equal(1, s.TransmittedPackets);

        // No buffer left: the caller keeps the packet.
        Assert.True(pool.TryRent(out PacketBuffer? third));
        third.Append(20);
        Assert.Equal(0, port.TransmitBurst([third]));
        Assert.Equal(1, port.GetStatistics().TransmitNoRoom);
        third.Release();
    }

    [Fact]
    public void ADetachedPortMovesNothing()
    {
        using BufferPool pool = BufferPool.Create(4, 2048, PageKind.Small);
        var port = new VhostUserPort("p", 0, pool, 9000, NullLogger.Instance);
        Assert.False(port.IsRunning);
        Assert.Equal(0, port.ReceiveBurst(new PacketBuffer[4]));
        Assert.True(pool.TryRent(out PacketBuffer? p));
        Assert.Equal(0, port.TransmitBurst([p]));
        Assert.Equal(PortOffloads.None, port.TransmitOffloads);
        p.Release();
    }

    [Theory]
    [InlineData(24, 4)] // 24 buffers: a burst of 100 takes 24 packets and leaves the rest where they are.
    [InlineData(200, 0)] // Enough: one burst of 100 (two internal steps of at most 64).
    public void ABurstTakesWhatThePoolHoldsAndLeavesTheRestInTheRingInOrder(int buffers, int shortBursts)
    {
        using var g = new FakeGuest(size: 128);
        using BufferPool pool = BufferPool.Create(buffers, 2048, PageKind.Small, cacheSize: 0);
        var port = Attach(g, pool, guestTransmit: true, mergeable: false);
        const int count = 100;
        for (int i = 0; i < count; i++)
        {
            // Header all zero, then a 20-byte frame whose first byte is its number.
            Span<byte> at = g.Bytes.Slice(FakeGuest.DataOffset + (i * 64), 32);
            at.Clear();
            at[12] = (byte)i;
            g.WriteSplit(i, FakeGuest.Gpa(FakeGuest.DataOffset + (i * 64)), 32, 0, 0);
            g.PublishSplit((ushort)i);
        }

        var burst = new PacketBuffer[count];
        int next = 0;
        for (int round = 0; next < count; round++)
        {
            int n = port.ReceiveBurst(burst);
            Assert.Equal(Math.Min(buffers, count - next), n);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(20, burst[i].PacketLength);
                Assert.Equal(next + i, burst[i].Data[0]);
            }

            next += n;
            Assert.Equal(next, g.UsedIndex);
            PacketBuffer.ReleaseBurst(burst.AsSpan(0, n));
            Assert.True(round < 10);
        }

        VhostUserPortStatistics s = port.GetStatistics();
        Assert.Equal(count, s.ReceivedPackets);
        Assert.Equal(20 * count, s.ReceivedBytes);
        Assert.Equal(shortBursts, s.ReceiveDrops); // Each short burst counts once: the packets themselves all arrived.
        Assert.Equal(buffers, pool.Available);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EventModeArmsTheKickOnlyWhileWaitingAndWakesOnIt(bool eventIndex)
    {
        using var g = new FakeGuest(size: 32);
        using BufferPool pool = BufferPool.Create(16, 2048, PageKind.Small);
        using EventFd kick = EventFd.Create();
        var port = new VhostUserPort("test", 0, pool, 9000, NullLogger.Instance);
        port.Configure(VirtioNetHeader.Size, mergeable: false, PortOffloads.None, g.Size);
        SplitVirtqueue queue = g.Split(eventIndex: eventIndex);
        queue.SetDriverNotifications(false); // As the backend starts every ring.
        port.Attach(guestTransmit: true, queue, kick);
        int usedFlags = FakeGuest.UsedOffset;
        int availEvent = FakeGuest.UsedOffset + 4 + (8 * g.Size);
        bool Armed() => eventIndex
            ? BinaryPrimitives.ReadUInt16LittleEndian(g.Bytes[availEvent..]) == 0 // kick once avail idx passes 0
            : BinaryPrimitives.ReadUInt16LittleEndian(g.Bytes[usedFlags..]) == 0; // VRING_USED_F_NO_NOTIFY clear
        bool Readable() => TapDevice.PollReadable([port.ReceiveReadyDescriptor.Fd], 0, new byte[1]) > 0;

        Assert.False(Armed());
        Assert.True(port.PrepareToWait()); // Empty ring: the caller may sleep.
        Assert.True(Armed());
        Assert.False(Readable());

        // The driver publishes a packet and kicks, as a driver does while notifications are on.
        g.Bytes.Slice(FakeGuest.DataOffset, 72).Clear();
        g.WriteSplit(0, FakeGuest.Gpa(FakeGuest.DataOffset), 72, 0, 0);
        g.PublishSplit(0);
        kick.Signal();
        Assert.True(Readable());
        port.EndWait();
        Assert.False(Readable()); // The kick was consumed...
        Assert.False(Armed()); // ...and notifications are off while the data thread is awake.
        Assert.Equal(1, port.GetStatistics().Wakeups);

        // Work already waiting: do not sleep.
        Assert.False(port.PrepareToWait());
        port.EndWait();
        Assert.Equal(1, port.GetStatistics().Wakeups);
        var burst = new PacketBuffer[4];
        Assert.Equal(1, port.ReceiveBurst(burst));
        burst[0].Release();

        // Detached, the kick is out of the set: signalling it wakes nobody, and no ring means nothing to wait for.
        port.Detach(guestTransmit: true);
        kick.Signal();
        Assert.False(Readable());
        Assert.True(port.PrepareToWait());
        port.EndWait();
        port.CloseWaitSet();
    }

    [Fact]
    public void ARingWithoutKickEventfdIsPolledNotWaitedOn()
    {
        using var g = new FakeGuest(size: 32);
        using BufferPool pool = BufferPool.Create(16, 2048, PageKind.Small);
        var port = Attach(g, pool, guestTransmit: true, mergeable: false);
        Assert.False(port.PrepareToWait());
        port.EndWait();
        port.Detach(guestTransmit: true);
        port.CloseWaitSet();
    }

    private static VhostUserPort Attach(FakeGuest g, BufferPool pool, bool guestTransmit, bool mergeable)
    {
        var port = new VhostUserPort("test", 0, pool, 9000, NullLogger.Instance);
        port.Configure(VirtioNetHeader.Size, mergeable, PortOffloads.Checksum, g.Size);
        port.Attach(guestTransmit, g.Split());
        return port;
    }
}
