using System.Diagnostics;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.SelfCheck;

/// <summary>One throughput figure.</summary>
internal readonly record struct RingMeasurement(string Name, int Burst, long Items, double ItemsPerSecond);

/// <summary>
/// Moves sequence numbers from a producer thread to the calling thread through each ring for a
/// fixed time, checks that they arrive complete and in order, and reports the rate.
/// </summary>
internal static class RingThroughput
{
    private const int Burst = 32;
    private const int Capacity = 4096;

    internal static IEnumerable<RingMeasurement> MeasureAll(TimeSpan duration, TextWriter progress)
    {
        var spsc = new SpscRing<long>(Capacity);
        yield return Measure("SpscRing<long>", duration, progress, spsc.EnqueueBurst, spsc.DequeueBurst);
        var mpmc = new MpmcRing<long>(Capacity);
        yield return Measure("MpmcRing<long>", duration, progress, mpmc.EnqueueBurst, mpmc.DequeueBurst);
        yield return MeasureByteRing(duration, progress);
    }

    private delegate int Enqueue(ReadOnlySpan<long> items);

    private delegate int Dequeue(Span<long> items);

    private static RingMeasurement Measure(string name, TimeSpan duration, TextWriter progress, Enqueue enqueue, Dequeue dequeue)
    {
        long stopAt = 0;
        var producer = new Thread(() =>
        {
            Span<long> burst = stackalloc long[Burst];
            long next = 0;
            while (Volatile.Read(ref stopAt) == 0)
            {
                for (int i = 0; i < Burst; i++)
                {
                    burst[i] = next + i;
                }

                int n = enqueue(burst);
                next += n;
                if (n == 0)
                {
                    Thread.SpinWait(8);
                }
            }

            Volatile.Write(ref stopAt, next);
        })
        { IsBackground = true, Name = $"{name} producer" };

        Span<long> received = stackalloc long[Burst];
        long expected = 0;
        var clock = Stopwatch.StartNew();
        producer.Start();
        long nextReport = 0;
        while (clock.Elapsed < duration)
        {
            expected = Drain(dequeue, received, expected);
            if (clock.ElapsedMilliseconds >= nextReport)
            {
                progress.Write($"\r  {name,-28} {expected / 1e6,8:0.0} M items so far...");
                nextReport += 250;
            }
        }

        Volatile.Write(ref stopAt, -1);
        producer.Join();
        long total = Volatile.Read(ref stopAt);
        while (expected < total)
        {
            expected = Drain(dequeue, received, expected);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        progress.Write('\r');
        return new RingMeasurement(name, Burst, total, total / seconds);
    }

    private static long Drain(Dequeue dequeue, Span<long> received, long expected)
    {
        int n = dequeue(received);
        for (int i = 0; i < n; i++)
        {
            if (received[i] != expected + i)
            {
                throw new InvalidOperationException($"ring delivered {received[i]} where {expected + i} was due");
            }
        }

        return expected + n;
    }

    private static RingMeasurement MeasureByteRing(TimeSpan duration, TextWriter progress)
    {
        const long RecordArea = 1 << 20;
        using DmaRegion region = DmaRegion.Create(ByteRing.GetRequiredSize(RecordArea), PageKind.Auto);
        ByteRing producerSide = ByteRing.Create(region, 0, RecordArea);
        ByteRing consumerSide = ByteRing.Attach(region, 0);
        return Measure(
            "ByteRing (256-byte records)",
            duration,
            progress,
            items =>
            {
                // One 256-byte record carries one burst of up to 32 sequence numbers.
                if (!producerSide.TryReserve(256, out Span<byte> record))
                {
                    return 0;
                }

                System.Runtime.InteropServices.MemoryMarshal.AsBytes(items).CopyTo(record);
                producerSide.Commit(256);
                return items.Length;
            },
            into =>
            {
                if (!consumerSide.TryRead(out ReadOnlySpan<byte> record))
                {
                    return 0;
                }

                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(record).CopyTo(into);
                consumerSide.Release();
                return Burst;
            });
    }
}
