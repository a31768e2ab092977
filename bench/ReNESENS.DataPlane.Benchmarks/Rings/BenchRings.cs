using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// What the benchmark loops need from a queue; struct adapters so each loop is compiled once per
/// queue type with the calls inlined, and every queue runs the very same loop.
/// </summary>
internal interface IBenchRing
{
    int Enqueue(ReadOnlySpan<long> items);

    int Dequeue(Span<long> destination);
}

internal readonly struct SpscAdapter(SpscRing<long> ring) : IBenchRing
{
    public int Enqueue(ReadOnlySpan<long> items) => ring.EnqueueBurst(items);

    public int Dequeue(Span<long> destination) => ring.DequeueBurst(destination);
}

internal readonly struct MpmcAdapter(MpmcRing<long> ring) : IBenchRing
{
    public int Enqueue(ReadOnlySpan<long> items) => ring.EnqueueBurst(items);

    public int Dequeue(Span<long> destination) => ring.DequeueBurst(destination);
}

/// <summary>A bounded channel has no burst call: one TryWrite/TryRead per item, as its users do.</summary>
internal readonly struct ChannelAdapter(Channel<long> channel) : IBenchRing
{
    public int Enqueue(ReadOnlySpan<long> items)
    {
        ChannelWriter<long> writer = channel.Writer;
        int i = 0;
        while (i < items.Length && writer.TryWrite(items[i]))
        {
            i++;
        }

        return i;
    }

    public int Dequeue(Span<long> destination)
    {
        ChannelReader<long> reader = channel.Reader;
        int i = 0;
        while (i < destination.Length && reader.TryRead(out destination[i]))
        {
            i++;
        }

        return i;
    }
}

/// <summary>The loops, the same as the C ones in native/rte_ring_anchor.c.</summary>
internal static class RingLoops
{
    /// <summary>One thread: enqueue a burst, dequeue up to a burst, until <paramref name="items"/> went through.</summary>
    public static long SingleThread<TRing>(TRing ring, long[] buffer, int burst, long items)
        where TRing : struct, IBenchRing
    {
        Span<long> span = buffer.AsSpan(0, burst);
        long sum = 0;
        long done = 0;
        while (done < items)
        {
            Span<long> batch = span[..(int)Math.Min(items - done, burst)];
            Fill(batch, done);
            int sent = ring.Enqueue(batch);
            int got = ring.Dequeue(span);
            sum += Sum(span[..got]);
            done += sent;
        }

        return sum;
    }

    /// <summary>Producer: bursts of 0, 1, 2, ..., retrying (busy, no pause) while full.</summary>
    public static void Produce<TRing>(TRing ring, long[] buffer, int burst, long items)
        where TRing : struct, IBenchRing
    {
        Span<long> span = buffer.AsSpan(0, burst);
        long sent = 0;
        while (sent < items)
        {
            Span<long> batch = span[..(int)Math.Min(items - sent, burst)];
            Fill(batch, sent);
            sent += ring.Enqueue(batch);
        }
    }

    /// <summary>Consumer: bursts of up to <paramref name="burst"/>, busy retry while empty; returns the sum.</summary>
    public static long Consume<TRing>(TRing ring, long[] buffer, int burst, long items)
        where TRing : struct, IBenchRing
    {
        Span<long> span = buffer.AsSpan(0, burst);
        long sum = 0;
        long received = 0;
        while (received < items)
        {
            int got = ring.Dequeue(span);
            sum += Sum(span[..got]);
            received += got;
        }

        return sum;
    }

    /// <summary>Writes first, first + 1, ... (loop shaped so the JIT drops the bounds checks, as C has none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fill(Span<long> batch, long first)
    {
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = first + i;
        }
    }

    /// <summary>Sums the items (no bounds checks, as in C).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Sum(ReadOnlySpan<long> items)
    {
        long sum = 0;
        foreach (long item in items)
        {
            sum += item;
        }

        return sum;
    }

    /// <summary>
    /// Two threads: a new producer thread per call (as the C anchor starts a new pthread per
    /// call), the calling thread consumes.
    /// </summary>
    public static long CrossThread<TRing>(TRing ring, long[] producerBuffer, long[] consumerBuffer, int burst, long items)
        where TRing : struct, IBenchRing
    {
        var producer = new Thread(() => Produce(ring, producerBuffer, burst, items));
        producer.Start();
        long sum = Consume(ring, consumerBuffer, burst, items);
        producer.Join();
        return sum;
    }
}
