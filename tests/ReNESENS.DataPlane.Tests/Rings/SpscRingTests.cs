using System.Diagnostics;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Tests.Rings;

public class SpscRingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(-2)]
    [InlineData(int.MinValue)]
    [InlineData((1 << 30) + 1)]
    [InlineData(int.MaxValue)]
    public void BadCapacitiesAreRefused(int capacity)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new SpscRing<long>(capacity));
        Assert.Equal("capacity", e.ParamName);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(1024)]
    public void NewRingIsEmpty(int capacity)
    {
        var ring = new SpscRing<long>(capacity);
        Assert.Equal(capacity, ring.Capacity);
        Assert.Equal(0, ring.Count);
        Assert.Equal(capacity, ring.FreeCount);
        Assert.False(ring.TryDequeue(out long item));
        Assert.Equal(0, item);
        Span<long> buffer = stackalloc long[4];
        buffer.Fill(-1);
        Assert.Equal(0, ring.DequeueBurst(buffer));
        Assert.False(ring.DequeueBulk(buffer));
        Assert.Equal(-1, buffer[0]);
    }

    [Fact]
    public void EverySlotIsUsableAndFullRefusesMore()
    {
        var ring = new SpscRing<int>(4);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryEnqueue(i));
        }

        Assert.Equal(4, ring.Count);
        Assert.Equal(0, ring.FreeCount);
        Assert.False(ring.TryEnqueue(99));
        Assert.Equal(0, ring.EnqueueBurst([1, 2]));
        Assert.False(ring.EnqueueBulk([1]));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryDequeue(out int item));
            Assert.Equal(i, item);
        }

        Assert.False(ring.TryDequeue(out _));
    }

    [Fact]
    public void BurstEnqueuesWhatFitsAndDequeuesWhatIsThere()
    {
        var ring = new SpscRing<long>(8);
        Assert.Equal(5, ring.EnqueueBurst([0, 1, 2, 3, 4]));
        Assert.Equal(3, ring.EnqueueBurst([5, 6, 7, 8, 9]));
        Assert.Equal(8, ring.Count);

        long[] output = new long[10];
        Assert.Equal(8, ring.DequeueBurst(output));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 0, 0], output);
        Assert.Equal(0, ring.DequeueBurst(output));
    }

    [Fact]
    public void BulkIsAllOrNothing()
    {
        var ring = new SpscRing<long>(8);
        Assert.True(ring.EnqueueBulk([1, 2, 3, 4, 5, 6]));
        Assert.False(ring.EnqueueBulk([7, 8, 9]));
        Assert.Equal(6, ring.Count);
        Assert.True(ring.EnqueueBulk([7, 8]));
        Assert.False(ring.EnqueueBulk(new long[9]));

        long[] output = new long[9];
        Assert.False(ring.DequeueBulk(output));
        Assert.Equal(new long[9], output);
        Assert.Equal(8, ring.Count);
        Assert.True(ring.DequeueBulk(output.AsSpan(0, 3)));
        Assert.Equal([1, 2, 3], output[..3]);
        Assert.True(ring.EnqueueBulk([]));
        Assert.True(ring.DequeueBulk([]));
        Assert.Equal(5, ring.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    public void WrapAroundKeepsOrder(int burst)
    {
        var ring = new SpscRing<long>(8);
        long[] input = new long[burst];
        long[] output = new long[burst];
        long next = 0, expected = 0;
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < burst; i++)
            {
                input[i] = next + i;
            }

            Assert.True(ring.EnqueueBulk(input));
            next += burst;
            Assert.True(ring.DequeueBulk(output));
            foreach (long value in output)
            {
                Assert.Equal(expected++, value);
            }

            Assert.Equal(0, ring.Count);
        }
    }

    [Fact]
    public void WrapAroundWithPartialFill()
    {
        var ring = new SpscRing<long>(4);
        Assert.Equal(3, ring.EnqueueBurst([0, 1, 2]));
        Assert.True(ring.TryDequeue(out long first));
        Assert.Equal(0, first);
        Assert.True(ring.TryDequeue(out _));

        // Head at 3: this burst wraps after one slot.
        Assert.Equal(3, ring.EnqueueBurst([3, 4, 5, 6]));
        Assert.Equal(4, ring.Count);
        long[] output = new long[4];
        Assert.True(ring.DequeueBulk(output));
        Assert.Equal([2, 3, 4, 5], output);
    }

    [Fact]
    public void StructElementsAreCopiedByValue()
    {
        var ring = new SpscRing<(int A, long B)>(2);
        Assert.True(ring.TryEnqueue((1, 2L)));
        Assert.True(ring.TryDequeue(out (int A, long B) item));
        Assert.Equal((1, 2L), item);
    }

    [Fact]
    public void TwoThreadsMoveFiveMillionLongsInOrder()
    {
        const long Total = 5_000_000;
        var ring = new SpscRing<long>(256);
        long deadline = Environment.TickCount64 + 60_000; // A hang guard, not a speed check: generous for loaded CI machines.
        int timedOut = 0;
        int stop = 0;
        long received = 0;
        string? error = null;

        var producer = new Thread(() =>
        {
            long[] batch = new long[37];
            long next = 0;
            var spinner = default(SpinWait);
            while (next < Total)
            {
                // Burst sizes 1..37 so every slot offset and wrap split is exercised.
                int size = (int)Math.Min(1 + (next % batch.Length), Total - next);
                for (int i = 0; i < size; i++)
                {
                    batch[i] = next + i;
                }

                int sent = ring.EnqueueBurst(batch.AsSpan(0, size));
                next += sent;
                if (sent == 0)
                {
                    if (Volatile.Read(ref stop) != 0)
                    {
                        return;
                    }

                    if (Environment.TickCount64 > deadline)
                    {
                        Volatile.Write(ref timedOut, 1);
                        return;
                    }

                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
        });

        var consumer = new Thread(() =>
        {
            long[] batch = new long[64];
            long expected = 0;
            var spinner = default(SpinWait);
            while (expected < Total)
            {
                int got = ring.DequeueBurst(batch.AsSpan(0, 1 + (int)(expected % batch.Length)));
                for (int i = 0; i < got; i++)
                {
                    if (batch[i] != expected)
                    {
                        error = $"expected {expected}, got {batch[i]}";
                        Volatile.Write(ref stop, 1);
                        return;
                    }

                    expected++;
                }

                if (got == 0)
                {
                    if (Environment.TickCount64 > deadline || Volatile.Read(ref timedOut) != 0)
                    {
                        Volatile.Write(ref timedOut, 1);
                        break;
                    }

                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }

            received = expected;
        });

        var clock = Stopwatch.StartNew();
        // Background: a thread stuck inside the ring (a bug) must not keep the test host alive.
        producer.IsBackground = true;
        consumer.IsBackground = true;
        producer.Start();
        consumer.Start();
        Assert.True(consumer.Join(12_000), "consumer hung");
        Assert.True(producer.Join(2_000), "producer hung");
        Assert.Null(error);
        Assert.True(timedOut == 0, $"timed out after {clock.ElapsedMilliseconds} ms with {received} items");
        Assert.Equal(Total, received);
        Assert.Equal(0, ring.Count);
    }
}
