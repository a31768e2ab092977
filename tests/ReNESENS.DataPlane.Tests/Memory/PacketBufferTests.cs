using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Tests.Memory;

public sealed class PacketBufferTests : IDisposable
{
    private readonly BufferPool _pool = BufferPool.Create(16, 2048, PageKind.Small, cacheSize: 0);

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void AFreshBufferHasHeadroomAndNoData()
    {
        PacketBuffer b = Rent();
        Assert.Equal(2048, b.Capacity);
        Assert.Equal(BufferPool.DefaultHeadroom, b.Headroom);
        Assert.Equal(BufferPool.DefaultHeadroom, b.DataOffset);
        Assert.Equal(2048 - BufferPool.DefaultHeadroom, b.Tailroom);
        Assert.Equal(0, b.DataLength);
        Assert.Equal(0, b.PacketLength);
        Assert.Equal(1, b.SegmentCount);
        Assert.Equal(1, b.ReferenceCount);
        Assert.Null(b.Next);
        Assert.False(b.IsSegment);
        Assert.Equal(0, b.Data.Length);
        Assert.Equal(_pool.Region.Iova + (ulong)(b.Index * 2048) + BufferPool.DefaultHeadroom, b.Iova);
        b.Release();
    }

    [Fact]
    public void PrependAppendAndTrimMoveTheDataWindow()
    {
        PacketBuffer b = Rent();
        Span<byte> payload = b.Append(100);
        Assert.Equal(100, payload.Length);
        payload.Fill(0xAA);
        Span<byte> header = b.Prepend(14);
        header.Fill(0x11);
        Assert.Equal(114, b.DataOffset);
        Assert.Equal(114, b.DataLength);
        Assert.Equal(114, b.PacketLength);
        Assert.Equal(0x11, b.Data[13]);
        Assert.Equal(0xAA, b.Data[14]);
        Assert.Equal(_pool.Region.Iova + (ulong)(b.Index * 2048) + 114, b.Iova);

        b.TrimFront(14);
        Assert.Equal(0xAA, b.Data[0]);
        Assert.Equal(100, b.DataLength);
        b.TrimEnd(40);
        Assert.Equal(60, b.DataLength);
        Assert.Equal(60, b.PacketLength);
        Assert.Equal(2048 - 128 - 60, b.Tailroom);

        Memory<byte> memory = b.DataMemory;
        Assert.Equal(60, memory.Length);
        memory.Span[0] = 5;
        Assert.Equal(5, b.Data[0]);

        Assert.True(b.TryPrepend(b.Headroom, out Span<byte> all));
        Assert.Equal(128, all.Length);
        Assert.Equal(0, b.Headroom);
        Assert.True(b.TryAppend(b.Tailroom, out Span<byte> rest));
        Assert.Equal(0, b.Tailroom);
        Assert.Equal(2048, b.DataLength);
        Assert.Equal(2048 - 128 - 60 - 128 + 128, rest.Length);
        b.Release();
    }

    [Fact]
    public void OutOfBoundsSizesGiveClearErrorsAndChangeNothing()
    {
        PacketBuffer b = Rent();
        b.Append(10);
        ArgumentOutOfRangeException pre = Assert.Throws<ArgumentOutOfRangeException>(() => b.Prepend(129));
        Assert.Contains("headroom is 128", pre.Message, StringComparison.Ordinal);
        Assert.False(b.TryPrepend(129, out Span<byte> none));
        Assert.True(none.IsEmpty);
        ArgumentOutOfRangeException app = Assert.Throws<ArgumentOutOfRangeException>(() => b.Append(1911));
        Assert.Contains("tailroom is 1910", app.Message, StringComparison.Ordinal);
        Assert.False(b.TryAppend(1911, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Prepend(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.TryAppend(-1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.TrimFront(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.TrimFront(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.TrimEnd(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.TrimEnd(int.MinValue));
        Assert.Equal(128, b.DataOffset);
        Assert.Equal(10, b.DataLength);
        Assert.Equal(10, b.PacketLength);
        b.TrimFront(0);
        b.TrimEnd(10);
        Assert.Equal(0, b.PacketLength);
        b.Release();
    }

    [Fact]
    public void AChainKeepsTotalsOnTheHeadAndCopiesInOrder()
    {
        PacketBuffer head = Rent();
        PacketBuffer middle = Rent();
        PacketBuffer tail = Rent();
        head.Append(100).Fill(1);
        middle.Append(2000 - 128).Fill(2);
        tail.Append(7).Fill(3);
        middle.Chain(tail);
        Assert.Equal(2, middle.SegmentCount);
        head.Chain(middle);

        Assert.Equal(3, head.SegmentCount);
        Assert.Equal(100 + 1872 + 7, head.PacketLength);
        Assert.Equal(100, head.DataLength);
        Assert.Same(middle, head.Next);
        Assert.Same(tail, middle.Next);
        Assert.True(middle.IsSegment);
        Assert.True(tail.IsSegment);
        Assert.False(head.IsSegment);

        var segments = new List<PacketBuffer>();
        foreach (PacketBuffer s in head.Segments)
        {
            segments.Add(s);
        }

        Assert.Equal([head, middle, tail], segments);

        // Append and TrimEnd work on the last segment, through the head.
        head.Append(3).Fill(4);
        Assert.Equal(10, tail.DataLength);
        head.TrimEnd(1);
        Assert.Equal(9, tail.DataLength);
        Assert.Equal(100 + 1872 + 9, head.PacketLength);
        Assert.Equal(2048 - 128 - 9, head.Tailroom);

        var copy = new byte[head.PacketLength + 5];
        Assert.Equal(head.PacketLength, head.CopyTo(copy));
        Assert.True(copy.AsSpan(0, 100).IndexOfAnyExcept((byte)1) < 0);
        Assert.True(copy.AsSpan(100, 1872).IndexOfAnyExcept((byte)2) < 0);
        Assert.Equal(new byte[] { 3, 3, 3, 3, 3, 3, 3, 4, 4, 0, 0, 0, 0, 0 }, copy[1972..]);
        Assert.Throws<ArgumentException>(() => head.CopyTo(new byte[head.PacketLength - 1]));

        Assert.Equal(3, _pool.InUse);
        head.Release();
        Assert.Equal(0, _pool.InUse);
        Assert.Equal(16, _pool.Available);
        Assert.Throws<InvalidOperationException>(tail.Release);
        Assert.Throws<InvalidOperationException>(head.Release);
    }

    [Fact]
    public void ChainMisuseIsRefused()
    {
        PacketBuffer head = Rent();
        PacketBuffer seg = Rent();
        PacketBuffer shared = Rent();
        Assert.Throws<ArgumentException>(() => head.Chain(head));
        Assert.Throws<ArgumentNullException>(() => head.Chain(null!));
        head.Chain(seg);
        Assert.Throws<ArgumentException>(() => shared.Chain(seg));
        Assert.Throws<InvalidOperationException>(() => seg.Chain(shared));
        Assert.Throws<InvalidOperationException>(seg.Release);
        Assert.Throws<InvalidOperationException>(seg.AddRef);
        Assert.Throws<InvalidOperationException>(() => seg.Append(1));
        Assert.Throws<InvalidOperationException>(() => seg.SetVlan(1));
        Assert.Throws<InvalidOperationException>(head.Reset);
        shared.AddRef();
        Assert.Throws<ArgumentException>(() => head.Chain(shared));
        shared.Release();
        shared.Release();
        Assert.Throws<ArgumentException>(() => head.Chain(shared));
        Assert.Equal(2, head.SegmentCount);
        head.Release();
        Assert.Equal(0, _pool.InUse);
    }

    [Fact]
    public void AChainAcrossPoolsReturnsEachSegmentToItsOwnPool()
    {
        using BufferPool other = BufferPool.Create(4, 512, PageKind.Small, headroom: 0, cacheSize: 0);
        PacketBuffer head = Rent();
        Assert.True(other.TryRent(out PacketBuffer? tail));
        tail.Append(512);
        head.Chain(tail);
        Assert.Equal(512, head.PacketLength);
        head.Release();
        Assert.Equal(0, _pool.InUse);
        Assert.Equal(0, other.InUse);
        Assert.Equal(4, other.Available);
    }

    [Fact]
    public void TheReferenceCountDecidesWhenTheBufferIsFree()
    {
        PacketBuffer b = Rent();
        b.AddRef();
        b.AddRef();
        Assert.Equal(3, b.ReferenceCount);
        b.Release();
        b.Release();
        Assert.Equal(1, _pool.InUse);
        b.Data.Clear();
        b.Release();
        Assert.Equal(0, b.ReferenceCount);
        Assert.Equal(0, _pool.InUse);
        Assert.Throws<InvalidOperationException>(b.Release);
        Assert.Throws<InvalidOperationException>(b.AddRef);
        Assert.Throws<InvalidOperationException>(() => b.Data.Length);
        Assert.Throws<InvalidOperationException>(() => b.DataMemory);
        Assert.Throws<InvalidOperationException>(() => b.Append(1));
        Assert.Throws<InvalidOperationException>(() => b.CopyTo(new byte[10]));
        Assert.Equal(0, _pool.InUse);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    public void ReleaseBurstFreesWhatItsLastReferenceHeldAndKeepsTheRest(int cacheSize)
    {
        using BufferPool pool = BufferPool.Create(80, 2048, PageKind.Small, cacheSize: cacheSize);
        using BufferPool other = BufferPool.Create(4, 512, PageKind.Small, headroom: 0, cacheSize: 0);
        var packets = new PacketBuffer[70];
        Assert.Equal(70, pool.TryRentBurst(packets));
        foreach (PacketBuffer p in packets)
        {
            p.Append(10).Fill(0xAB);
            p.SetChecksumValid();
        }

        packets[3].AddRef(); // Shared: only one of its references goes.
        Assert.True(other.TryRent(out PacketBuffer? tail));
        packets[5].Chain(tail); // A chain across pools: each segment back to its own pool.
        PacketBuffer.ReleaseBurst(packets); // More than one internal run of 32, and a pool change in the middle.

        Assert.Equal(1, pool.InUse);
        Assert.Equal(0, other.InUse);
        Assert.Equal(1, packets[3].ReferenceCount);
        Assert.Equal(10, packets[3].PacketLength);
        Assert.Equal(0, packets[0].ReferenceCount);
        packets[3].Release();
        Assert.Equal(0, pool.InUse);
        Assert.Equal(80, pool.Available);

        // Every buffer comes back clean, none twice.
        var again = new PacketBuffer[80];
        Assert.Equal(80, pool.TryRentBurst(again));
        Assert.Equal(80, again.Distinct().Count());
        Assert.All(again, b => Assert.True(b.PacketLength == 0 && b.ChecksumState == ChecksumState.None && b.Next is null && b.Headroom == BufferPool.DefaultHeadroom));
        PacketBuffer.ReleaseBurst(again);
        Assert.Equal(0, pool.InUse);
    }

    [Fact]
    public void ReleaseBurstRefusesAFreeBufferOrASegmentAfterReleasingThoseBefore()
    {
        PacketBuffer a = Rent();
        PacketBuffer b = Rent();
        b.Release();
        PacketBuffer c = Rent(); // b's buffer again, rented anew: reuse must not hide a double release below.
        Assert.Same(b, c);
        PacketBuffer d = Rent();
        d.Release();
        Assert.Throws<InvalidOperationException>(() => PacketBuffer.ReleaseBurst([a, d]));
        Assert.Equal(0, a.ReferenceCount); // a went back before d was refused.
        Assert.Equal(1, _pool.InUse);

        PacketBuffer head = Rent();
        PacketBuffer segment = Rent();
        head.Chain(segment);
        Assert.Throws<InvalidOperationException>(() => PacketBuffer.ReleaseBurst([segment]));
        PacketBuffer.ReleaseBurst([head, c]);
        Assert.Equal(0, _pool.InUse);
        PacketBuffer.ReleaseBurst([]);
    }

    [Fact]
    public void MetadataIsCleanForTheNextRenter()
    {
        using BufferPool single = BufferPool.Create(1, 2048, PageKind.Small, cacheSize: 0);
        Assert.True(single.TryRent(out PacketBuffer? b));
        b.Append(200);
        b.Prepend(20);
        b.TrimFront(4);
        b.SetChecksumPartial(34, 16);
        b.SetGso(GsoType.TcpV4, 1448);
        b.SetVlan(0x2064);
        Assert.Equal(ChecksumState.Partial, b.ChecksumState);
        Assert.Equal(34, b.ChecksumStart);
        Assert.Equal(16, b.ChecksumOffset);
        Assert.Equal(GsoType.TcpV4, b.GsoType);
        Assert.Equal(1448, b.GsoSize);
        Assert.True(b.HasVlan);
        Assert.Equal(0x2064, b.VlanTci);
        b.Release();

        Assert.True(single.TryRent(out PacketBuffer? again));
        Assert.Same(b, again);
        AssertClean(again);
        again.Append(60);
        again.SetChecksumValid();
        again.SetGso(GsoType.UdpL4, 1200);
        again.SetVlan(7);
        again.Reset();
        AssertClean(again);
        again.Release();

        static void AssertClean(PacketBuffer b)
        {
            Assert.Equal(BufferPool.DefaultHeadroom, b.DataOffset);
            Assert.Equal(0, b.DataLength);
            Assert.Equal(0, b.PacketLength);
            Assert.Equal(1, b.SegmentCount);
            Assert.Null(b.Next);
            Assert.Equal(ChecksumState.None, b.ChecksumState);
            Assert.Equal(0, b.ChecksumStart);
            Assert.Equal(0, b.ChecksumOffset);
            Assert.Equal(GsoType.None, b.GsoType);
            Assert.Equal(0, b.GsoSize);
            Assert.False(b.HasVlan);
            Assert.Equal(0, b.VlanTci);
        }
    }

    [Fact]
    public void MetadataValuesAreChecked()
    {
        PacketBuffer b = Rent();
        b.Append(54);
        b.SetChecksumPartial(34, 18);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetChecksumPartial(34, 19));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetChecksumPartial(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetChecksumPartial(0, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetChecksumPartial(65535, 65535));
        Assert.Equal(ChecksumState.Partial, b.ChecksumState);
        Assert.Equal(18, b.ChecksumOffset);
        b.SetChecksumNone();
        Assert.Equal(ChecksumState.None, b.ChecksumState);
        Assert.Equal(0, b.ChecksumStart);

        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetGso(GsoType.None, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetGso(GsoType.TcpV6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetGso(GsoType.Udp, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.SetGso((GsoType)9, 100));
        b.SetGso(GsoType.TcpV6, 65535);
        b.SetGso(GsoType.None, 0);
        Assert.Equal(GsoType.None, b.GsoType);
        b.SetVlan(ushort.MaxValue);
        b.ClearVlan();
        Assert.False(b.HasVlan);
        b.Release();
    }

    [Fact]
    public void BuffersDoNotOverlap()
    {
        var all = new PacketBuffer[16];
        Assert.Equal(16, _pool.TryRentBurst(all));
        foreach (PacketBuffer b in all)
        {
            b.Prepend(b.Headroom);
            b.Append(b.Tailroom).Fill((byte)b.Index);
            b.Data[..BufferPool.DefaultHeadroom].Fill((byte)b.Index);
        }

        foreach (PacketBuffer b in all)
        {
            Assert.Equal(2048, b.DataLength);
            Assert.True(b.Data.IndexOfAnyExcept((byte)b.Index) < 0);
            b.Release();
        }
    }

    private PacketBuffer Rent()
    {
        Assert.True(_pool.TryRent(out PacketBuffer? b));
        return b;
    }
}
