using System.Buffers.Binary;
using ReNESENS.DataPlane.Fuzz.Targets;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Tests.Rings;

public sealed class ByteRingTests : IDisposable
{
    private readonly DmaRegion _region = DmaRegion.Create(64 * 1024, PageKind.Small);

    [Fact]
    public void RecordsComeOutInOrderWithTheirLengths()
    {
        ByteRing producer = ByteRing.Create(_region, 0, 1024);
        ByteRing consumer = ByteRing.Attach(_region, 0);
        Assert.True(producer.TryWrite("one"u8));
        Assert.True(producer.TryWrite(""u8));
        Assert.True(producer.TryWrite("three"u8));

        Assert.True(consumer.TryRead(out ReadOnlySpan<byte> r));
        Assert.Equal("one"u8, r);
        consumer.Release();
        Assert.True(consumer.TryRead(out r));
        Assert.Equal(0, r.Length);
        consumer.Release();
        Assert.True(consumer.TryRead(out r));
        Assert.Equal("three"u8, r);
        consumer.Release();
        Assert.False(consumer.TryRead(out _));
    }

    [Fact]
    public void ReserveIsZeroCopyAndCommitMayShorten()
    {
        ByteRing producer = ByteRing.Create(_region, 128, 256);
        ByteRing consumer = ByteRing.Attach(_region, 128);
        Assert.True(producer.TryReserve(100, out Span<byte> record));
        record.Fill(7);
        producer.Commit(10);
        Assert.True(consumer.TryRead(out ReadOnlySpan<byte> r));
        Assert.Equal(10, r.Length);
        Assert.True(r.IndexOfAnyExcept((byte)7) < 0);

        // The record lies in the region itself: the bytes the consumer sees are the region's.
        Assert.True(_region.GetSpan(128, 1024).IndexOf(r) >= 0);
        consumer.Release();
    }

    [Fact]
    public void FullRingRefusesUntilTheConsumerReleases()
    {
        ByteRing producer = ByteRing.Create(_region, 0, 256);
        ByteRing consumer = ByteRing.Attach(_region, 0);
        Assert.Equal(120, producer.MaxRecordLength);
        int written = 0;
        while (producer.TryWrite(new byte[56]))
        {
            written++;
        }

        Assert.Equal(4, written);
        Assert.True(consumer.TryRead(out _));
        Assert.False(producer.TryWrite(new byte[56]));
        consumer.Release();
        Assert.True(producer.TryWrite(new byte[56]));
    }

    [Fact]
    public void RecordsWrapWithPaddingAndStayContiguous()
    {
        ByteRing producer = ByteRing.Create(_region, 0, 256);
        ByteRing consumer = ByteRing.Attach(_region, 0);
        var rng = new Random(1);
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 5000; round++)
        {
            int length = rng.Next(0, producer.MaxRecordLength + 1);
            if (producer.TryReserve(length, out Span<byte> record))
            {
                Fill(record, next++);
                producer.Commit(length);
            }

            if (rng.Next(3) != 0 && consumer.TryRead(out ReadOnlySpan<byte> r))
            {
                Check(r, expected++);
                consumer.Release();
            }
        }

        while (consumer.TryRead(out ReadOnlySpan<byte> r))
        {
            Check(r, expected++);
            consumer.Release();
        }

        Assert.Equal(next, expected);
        Assert.True(next > 1000);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(121)]
    [InlineData(int.MaxValue)]
    public void OversizedRecordsAreRefused(int length)
    {
        ByteRing producer = ByteRing.Create(_region, 0, 256);
        Assert.Throws<ArgumentOutOfRangeException>(() => producer.TryReserve(length, out _));
    }

    [Fact]
    public void MisuseIsReported()
    {
        ByteRing ring = ByteRing.Create(_region, 0, 256);
        Assert.Throws<InvalidOperationException>(() => ring.Commit(0));
        Assert.Throws<InvalidOperationException>(ring.Release);
        Assert.True(ring.TryReserve(8, out _));
        Assert.Throws<InvalidOperationException>(() => ring.TryReserve(8, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Commit(9));
        ring.Commit(8);
        Assert.True(ring.TryRead(out _));
        Assert.Throws<InvalidOperationException>(() => ring.TryRead(out _));
    }

    [Theory]
    [InlineData(0L, 100L)]
    [InlineData(0L, 384L)]
    [InlineData(0L, 1L << 41)]
    [InlineData(64L, 256L)]
    [InlineData(64L * 1024, 256L)]
    [InlineData(0L, 64L * 1024)]
    public void BadPlacementOrCapacityIsRefused(long offset, long capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteRing.Create(_region, offset, capacity));
    }

    [Fact]
    public void AttachRefusesMemoryWithoutARing()
    {
        Assert.Throws<InvalidDataException>(() => ByteRing.Attach(_region, 0));
        ByteRing.Create(_region, 0, 256);
        BinaryPrimitives.WriteInt64LittleEndian(_region.GetSpan(8, 8), 1L << 20);
        Assert.Throws<InvalidDataException>(() => ByteRing.Attach(_region, 0));
        BinaryPrimitives.WriteInt64LittleEndian(_region.GetSpan(8, 8), 300);
        Assert.Throws<InvalidDataException>(() => ByteRing.Attach(_region, 0));
    }

    [Fact]
    public void AHostileProducerCannotMakeTheConsumerReadOutside()
    {
        ByteRing.Create(_region, 0, 256);
        ByteRing consumer = ByteRing.Attach(_region, 0);
        Span<byte> tail = _region.GetSpan(128, 8);
        Span<byte> data = _region.GetSpan(384, 256);

        // Tail far beyond the capacity.
        BinaryPrimitives.WriteInt64LittleEndian(tail, 10_000);
        Assert.Throws<InvalidDataException>(() => consumer.TryRead(out _));

        // A record claiming more bytes than were published.
        BinaryPrimitives.WriteInt64LittleEndian(tail, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(data, 200);
        Assert.Throws<InvalidDataException>(() => consumer.TryRead(out _));

        // A record claiming 4 GiB.
        BinaryPrimitives.WriteUInt32LittleEndian(data, uint.MaxValue);
        Assert.Throws<InvalidDataException>(() => consumer.TryRead(out _));

        // An unknown record kind.
        BinaryPrimitives.WriteUInt32LittleEndian(data, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(data[4..], 9);
        Assert.Throws<InvalidDataException>(() => consumer.TryRead(out _));

        // Padding that does not run to the end of the area.
        BinaryPrimitives.WriteInt64LittleEndian(tail, 256);
        BinaryPrimitives.WriteUInt32LittleEndian(data, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(data[4..], 1);
        Assert.Throws<InvalidDataException>(() => consumer.TryRead(out _));

        // Random garbage in the whole area never escapes as anything but InvalidDataException.
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            rng.NextBytes(data);
            BinaryPrimitives.WriteInt64LittleEndian(tail, rng.Next(0, 300));
            try
            {
                if (consumer.TryRead(out ReadOnlySpan<byte> r))
                {
                    Assert.True(r.Length <= 248);
                    consumer.Release();
                    BinaryPrimitives.WriteInt64LittleEndian(_region.GetSpan(256, 8), 0);
                }
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    // Found by the bytering fuzz target (tests/ReNESENS.DataPlane.Fuzz/crashes/bytering). The ring's
    // area ends where a guard page starts, so a byte read or written past the area ends the process.
    private const int GuardedOffset = 4096 - 384 - 256;

    [Theory]
    [InlineData(255L, 255L + 16)]
    [InlineData(252L, 252L)]
    [InlineData(0L, 257L)]
    [InlineData(0L, 4L)]
    public void AttachRefusesIndicesNoCorrectPairLeaves(long head, long tail)
    {
        // Unaligned indices would put a record header (or padding shorter than one) across the
        // end of the area; indices further apart than the capacity would read unpublished bytes.
        using DmaRegion region = GuardedRegion.Create(4096);
        ByteRing.Create(region, GuardedOffset, 256);
        BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(GuardedOffset + 256, 8), head);
        BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(GuardedOffset + 128, 8), tail);
        Assert.Throws<InvalidDataException>(() => ByteRing.Attach(region, GuardedOffset));
    }

    [Fact]
    public void APeerThatMovesOurOwnIndexAfterAttachCannotMoveWhereWeReadOrWrite()
    {
        using DmaRegion region = GuardedRegion.Create(4096);
        ByteRing producer = ByteRing.Create(region, GuardedOffset, 256);
        ByteRing consumer = ByteRing.Attach(region, GuardedOffset);
        Assert.True(producer.TryWrite("first"u8));

        // The peer scribbles unaligned values over both indices; each side keeps its own.
        BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(GuardedOffset + 256, 8), 3);
        Assert.True(producer.TryWrite("second"u8));
        Assert.True(consumer.TryRead(out ReadOnlySpan<byte> first));
        Assert.Equal("first"u8, first);
        BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(GuardedOffset + 128, 8), 255);
        consumer.Release();
        Assert.Equal(16, BinaryPrimitives.ReadInt64LittleEndian(region.GetSpan(GuardedOffset + 256, 8)));

        // The producer's next commit publishes its own tail again, over the scribble.
        Assert.True(producer.TryWrite("third"u8));
        Assert.Equal(48, BinaryPrimitives.ReadInt64LittleEndian(region.GetSpan(GuardedOffset + 128, 8)));
        Assert.True(consumer.TryRead(out ReadOnlySpan<byte> second));
        Assert.Equal("second"u8, second);
        consumer.Release();
        Assert.True(consumer.TryRead(out ReadOnlySpan<byte> third));
        Assert.Equal("third"u8, third);
    }

    [Fact]
    public void CommitWritesWhereItReservedWhateverThePeerDidToTheTail()
    {
        using DmaRegion region = GuardedRegion.Create(4096);
        ByteRing producer = ByteRing.Create(region, GuardedOffset, 256);
        ByteRing consumer = ByteRing.Attach(region, GuardedOffset);
        Assert.True(producer.TryReserve(6, out Span<byte> record));
        Fill(record, 1);

        // Commit used to re-read the tail and write its record header at position 255.
        BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(GuardedOffset + 128, 8), 255);
        producer.Commit(6);
        Assert.Equal(16, BinaryPrimitives.ReadInt64LittleEndian(region.GetSpan(GuardedOffset + 128, 8)));
        Assert.True(consumer.TryRead(out ReadOnlySpan<byte> read));
        Check(read, 1);
        consumer.Release();
    }

    [Fact]
    public void ReleaseAdvancesTheHeadItReadWhateverThePeerDidToIt()
    {
        using DmaRegion region = GuardedRegion.Create(4096);
        ByteRing producer = ByteRing.Create(region, GuardedOffset, 256);
        ByteRing consumer = ByteRing.Attach(region, GuardedOffset);
        Assert.True(producer.TryWrite("abc"u8));
        Assert.True(consumer.TryRead(out _));
        BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(GuardedOffset + 256, 8), 3);
        consumer.Release();
        Assert.Equal(16, BinaryPrimitives.ReadInt64LittleEndian(region.GetSpan(GuardedOffset + 256, 8)));
    }

    [Fact]
    public void ARecordLongerThanMaxRecordLengthIsCorrupt()
    {
        ByteRing.Create(_region, 0, 256);
        ByteRing consumer = ByteRing.Attach(_region, 0);

        // 200 bytes fit in the area but no producer can write more than 120 into a 256-byte ring.
        BinaryPrimitives.WriteInt64LittleEndian(_region.GetSpan(128, 8), 208);
        BinaryPrimitives.WriteUInt32LittleEndian(_region.GetSpan(384, 4), 200);
        Assert.Throws<InvalidDataException>(() => consumer.TryRead(out _));
    }

    [Fact]
    public void RingOnADisposedRegionThrows()
    {
        DmaRegion region = DmaRegion.Create(4096, PageKind.Small);
        ByteRing ring = ByteRing.Create(region, 0, 256);
        region.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ring.TryWrite("x"u8));
        Assert.Throws<ObjectDisposedException>(() => ring.TryRead(out _));
    }

    public void Dispose() => _region.Dispose();

    internal static void Fill(Span<byte> record, int sequence)
    {
        for (int i = 0; i < record.Length; i++)
        {
            record[i] = (byte)(sequence * 31 + i);
        }
    }

    internal static void Check(ReadOnlySpan<byte> record, int sequence)
    {
        for (int i = 0; i < record.Length; i++)
        {
            if (record[i] != (byte)(sequence * 31 + i))
            {
                Assert.Fail($"record {sequence} byte {i} is {record[i]}");
            }
        }
    }
}
