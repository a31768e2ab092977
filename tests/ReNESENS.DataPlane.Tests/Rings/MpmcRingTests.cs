using System.Diagnostics;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Tests.Rings;

public class MpmcRingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(-4)]
    [InlineData(1 << 31)]
    [InlineData((1 << 30) + 1)]
    public void BadCapacitiesAreRefused(int capacity)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new MpmcRing<long>(capacity));
        Assert.Equal("capacity", e.ParamName);
    }

    [Fact]
    public void NewRingIsEmpty()
    {
        var ring = new MpmcRing<long>(16);
        Assert.Equal(16, ring.Capacity);
        Assert.Equal(0, ring.Count);
        Assert.Equal(16, ring.FreeCount);
        Assert.False(ring.TryDequeue(out _));
        Assert.Equal(0, ring.DequeueBurst(new long[3]));
        Assert.False(ring.DequeueBulk(new long[1]));
    }

    [Fact]
    public void FullRefusesMoreAndEverySlotIsUsable()
    {
        var ring = new MpmcRing<long>(2);
        Assert.True(ring.TryEnqueue(10));
        Assert.True(ring.TryEnqueue(11));
        Assert.False(ring.TryEnqueue(12));
        Assert.Equal(0, ring.EnqueueBurst([12]));
        Assert.Equal(0, ring.FreeCount);
        Assert.True(ring.TryDequeue(out long a));
        Assert.True(ring.TryDequeue(out long b));
        Assert.Equal((10, 11), (a, b));
        Assert.False(ring.TryDequeue(out _));
    }

    [Fact]
    public void BurstIsPartialAndBulkIsAllOrNothing()
    {
        var ring = new MpmcRing<long>(8);
        Assert.False(ring.EnqueueBulk(new long[9]));
        Assert.Equal(0, ring.Count);
        Assert.Equal(6, ring.EnqueueBurst([0, 1, 2, 3, 4, 5]));
        Assert.False(ring.EnqueueBulk([6, 7, 8]));
        Assert.Equal(2, ring.EnqueueBurst([6, 7, 8]));
        Assert.Equal(8, ring.Count);

        long[] output = new long[5];
        Assert.True(ring.DequeueBulk(output));
        Assert.Equal([0, 1, 2, 3, 4], output);
        Assert.False(ring.DequeueBulk(output));
        Assert.Equal(3, ring.DequeueBurst(output));
        Assert.Equal([5, 6, 7], output[..3]);
        Assert.Equal(0, ring.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    public void WrapAroundKeepsOrder(int burst)
    {
        var ring = new MpmcRing<int>(16);
        int[] input = new int[burst];
        int[] output = new int[burst];
        int next = 0;
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < burst; i++)
            {
                input[i] = next + i;
            }

            Assert.Equal(burst, ring.EnqueueBurst(input));
            Assert.Equal(burst, ring.DequeueBurst(output));
            Assert.Equal(input, output);
            next += burst;
        }
    }

    [Fact]
    public void TwoProducersTwoConsumersLoseAndDuplicateNothing()
    {
        const int Producers = 2;
        const int Consumers = 2;
        const int PerProducer = 1_500_000;
        const long Total = (long)Producers * PerProducer;
        var ring = new MpmcRing<long>(512);
        long deadline = Environment.TickCount64 + 60_000; // A hang guard, not a speed check: generous for loaded CI machines.
        int stop = 0;
        long consumed = 0;
        string? error = null;
        var received = new List<long>[Consumers];

        void Fail(string message)
        {
            Interlocked.CompareExchange(ref error, message, null);
            Volatile.Write(ref stop, 1);
        }

        bool ShouldStop()
        {
            if (Volatile.Read(ref stop) != 0)
            {
                return true;
            }

            if (Environment.TickCount64 > deadline)
            {
                Fail($"timed out with {Volatile.Read(ref consumed)} of {Total} items consumed");
                return true;
            }

            return false;
        }

        var threads = new List<Thread>();
        for (int p = 0; p < Producers; p++)
        {
            long tag = (long)p << 32;
            threads.Add(new Thread(() =>
            {
                long[] batch = new long[24];
                int next = 0;
                var spinner = default(SpinWait);
                while (next < PerProducer)
                {
                    int size = Math.Min(1 + (next % batch.Length), PerProducer - next);
                    for (int i = 0; i < size; i++)
                    {
                        batch[i] = tag | (uint)(next + i);
                    }

                    // Alternate burst and bulk so both reservation paths race.
                    int sent = (next & 1) == 0
                        ? ring.EnqueueBurst(batch.AsSpan(0, size))
                        : ring.EnqueueBulk(batch.AsSpan(0, size)) ? size : 0;
                    next += sent;
                    if (sent == 0)
                    {
                        if (ShouldStop())
                        {
                            return;
                        }

                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
            }));
        }

        for (int c = 0; c < Consumers; c++)
        {
            var mine = received[c] = new List<long>(capacity: (int)Total);
            threads.Add(new Thread(() =>
            {
                long[] batch = new long[32];
                int[] lastSequence = new int[Producers];
                Array.Fill(lastSequence, -1);
                var spinner = default(SpinWait);
                while (Volatile.Read(ref consumed) < Total)
                {
                    int got = mine.Count % 7 == 0
                        ? (ring.TryDequeue(out batch[0]) ? 1 : 0)
                        : ring.DequeueBurst(batch.AsSpan(0, 1 + (mine.Count % batch.Length)));
                    for (int i = 0; i < got; i++)
                    {
                        long item = batch[i];
                        int producer = (int)(item >> 32);
                        int sequence = (int)(uint)item;
                        if ((uint)producer >= Producers || sequence >= PerProducer)
                        {
                            Fail($"garbage item {item:x}");
                            return;
                        }

                        // One consumer's reservations are in slot order, so it sees each producer's items in order.
                        if (sequence <= lastSequence[producer])
                        {
                            Fail($"producer {producer}: sequence {sequence} after {lastSequence[producer]}");
                            return;
                        }

                        lastSequence[producer] = sequence;
                        mine.Add(item);
                    }

                    if (got != 0)
                    {
                        Interlocked.Add(ref consumed, got);
                    }
                    else if (ShouldStop())
                    {
                        return;
                    }
                    else
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }
            }));
        }

        var clock = Stopwatch.StartNew();
        foreach (Thread t in threads)
        {
            // Background: a thread stuck inside the ring (a bug) must not keep the test host alive.
            t.IsBackground = true;
            t.Start();
        }

        foreach (Thread t in threads)
        {
            int wait = (int)Math.Max(0, deadline + 2_000 - Environment.TickCount64);
            Assert.True(t.Join(wait), "a stress thread hung inside the ring");
        }

        Assert.Null(error);
        Assert.Equal(Total, consumed);
        Assert.Equal(0, ring.Count);

        var seen = new byte[Producers, PerProducer];
        foreach (List<long> list in received)
        {
            foreach (long item in list)
            {
                ref byte count = ref seen[(int)(item >> 32), (int)(uint)item];
                Assert.True(count == 0, $"item {item:x} dequeued twice");
                count = 1;
            }
        }

        Assert.Equal(Total, received.Sum(l => (long)l.Count));
        Assert.True(clock.ElapsedMilliseconds < 15_000);
    }
}
