using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>bytering</c>: the consumer side of <see cref="ByteRing"/> on a ring image
/// written by a hostile peer, and both sides against a model with a peer that scribbles on the
/// shared indices and records between calls.
/// </summary>
/// <remarks>
/// <para>Input byte 0 picks the mode: even = ring image, odd = operation sequence.</para>
/// <para>Image mode: the remaining bytes are the ring as the peer left it (magic/version/capacity
/// at 0..16, tail at 128, head at 256, records from 384), copied to the region so that the
/// record area ends at <see cref="RegionSize"/>, where a guard page starts: a read or write past
/// the area faults (a fatal AccessViolation, which AFL records as a crash). Every record returned must lie in the area and the head must never pass
/// the tail.</para>
/// <para>Operation mode: a producer and a consumer on one ring, driven by the input; what comes
/// out must equal what went in (a <see cref="Queue{T}"/> model) until the input makes the peer
/// write to shared memory, after which only the safety properties are checked.</para>
/// <para>Expected outcome for a corrupt ring: <see cref="InvalidDataException"/>, caught here.
/// Anything else that escapes is a bug.</para>
/// </remarks>
public static class ByteRingTarget
{
    /// <summary>Usable bytes of the shared region; the guard page follows them.</summary>
    public const int RegionSize = 64 * 1024;

    /// <summary>Bytes in front of the record area (the ring header).</summary>
    public const int HeaderSize = 384;

    /// <summary>Largest capacity the image mode places at the end of the region.</summary>
    public const int MaxCapacity = 32 * 1024;

    private const int MinCapacity = 256;
    private const int TailOffset = 128;
    private const int HeadOffset = 256;

    private static readonly Lazy<DmaRegion> Region = new(() => GuardedRegion.Create(RegionSize));

    /// <summary>Runs one input.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        DmaRegion region = Region.Value;
        region.GetSpan(0, RegionSize).Clear();
        if ((input[0] & 1) == 0)
        {
            RunImage(region, input[1..]);
        }
        else
        {
            RunOperations(region, input[1..]);
        }
    }

    /// <summary>Where a ring of <paramref name="capacity"/> bytes starts so that its area ends with the region.</summary>
    public static int OffsetFor(long capacity) =>
        RegionSize - HeaderSize - (int)(IsFuzzCapacity(capacity) ? capacity : MinCapacity);

    private static bool IsFuzzCapacity(long capacity) =>
        capacity is >= MinCapacity and <= MaxCapacity && BitOperations.IsPow2(capacity);

    private static void RunImage(DmaRegion region, ReadOnlySpan<byte> image)
    {
        // The capacity field as Attach will see it: bytes the image does not cover are the region's zeros.
        Span<byte> field = stackalloc byte[8];
        field.Clear();
        if (image.Length > 8)
        {
            image[8..Math.Min(16, image.Length)].CopyTo(field);
        }

        long claimed = BinaryPrimitives.ReadInt64LittleEndian(field);
        int offset = OffsetFor(claimed);
        int copied = Math.Min(image.Length, RegionSize - offset);
        image[..copied].CopyTo(region.GetSpan(offset, copied));

        ByteRing consumer;
        try
        {
            consumer = ByteRing.Attach(region, offset);
        }
        catch (InvalidDataException)
        {
            return;
        }

        Check(consumer.Capacity == RegionSize - offset - HeaderSize, "Attach accepted a capacity that does not end at the region's end");
        var area = new Area(region, offset, consumer.Capacity);

        // Each record (padding included) consumes at least 8 of the at most Capacity published bytes.
        long limit = consumer.Capacity / 8;
        try
        {
            for (long count = 0; ; count++)
            {
                long tail = area.Tail;
                long head = area.Head;
                if (!consumer.TryRead(out ReadOnlySpan<byte> record))
                {
                    Check(tail == head, "TryRead said empty while tail != head");
                    return;
                }

                Check(count < limit, "more records than the published bytes can hold");
                area.CheckRecord(record, consumer.MaxRecordLength);
                consumer.Release();
                long advance = area.Head - head;
                Check(advance >= 8 && advance <= tail - head, $"Release moved the head by {advance} with {tail - head} bytes published");
            }
        }
        catch (InvalidDataException)
        {
        }
    }

    private static void RunOperations(DmaRegion region, ReadOnlySpan<byte> ops)
    {
        var input = new Reader(ops);
        long capacity = MinCapacity << (input.Byte() & 3);
        int offset = OffsetFor(capacity);
        ByteRing producer = ByteRing.Create(region, offset, capacity);
        ByteRing consumer = ByteRing.Attach(region, offset);
        var area = new Area(region, offset, capacity);
        var model = new Queue<byte[]>();
        bool tainted = false;
        int sequence = 0;
        try
        {
            while (!input.End)
            {
                byte op = input.Byte();
                switch (op % 8)
                {
                    case 0 or 1 or 2:
                    {
                        int max = producer.MaxRecordLength;
                        int length = input.UInt16() % (max + 1);
                        byte flags = input.Byte();
                        if (!producer.TryReserve(length, out Span<byte> record))
                        {
                            Check(tainted || model.Count != 0, $"TryReserve({length}) refused on a drained ring");
                            break;
                        }

                        area.CheckRecord(record, max);
                        Check(record.Length == length, "TryReserve returned a span of another length");
                        int commit = (flags & 1) != 0 ? length - (input.Byte() % (length + 1)) : length;
                        Fill(record[..commit], sequence);
                        if ((flags & 2) != 0)
                        {
                            tainted |= PeerWrite(area, ref input);
                        }

                        producer.Commit(commit);
                        model.Enqueue(record[..commit].ToArray());
                        sequence++;
                        break;
                    }

                    case 3 or 4 or 5:
                    {
                        byte flags = input.Byte();
                        if (!consumer.TryRead(out ReadOnlySpan<byte> record))
                        {
                            Check(tainted || model.Count == 0, "TryRead said empty with records outstanding");
                            break;
                        }

                        area.CheckRecord(record, consumer.MaxRecordLength);
                        if (!tainted)
                        {
                            Check(model.Count != 0, "TryRead returned a record nobody wrote");
                            Check(record.SequenceEqual(model.Dequeue()), "a record came out different from how it went in");
                        }

                        if ((flags & 1) != 0)
                        {
                            tainted |= PeerWrite(area, ref input);
                        }

                        consumer.Release();
                        break;
                    }

                    case 6:
                    {
                        int length = input.Byte() % (producer.MaxRecordLength + 1);
                        byte[] payload = new byte[length];
                        Fill(payload, sequence);
                        if (producer.TryWrite(payload))
                        {
                            model.Enqueue(payload);
                            sequence++;
                        }
                        else
                        {
                            Check(tainted || model.Count != 0, $"TryWrite of {length} bytes refused on a drained ring");
                        }

                        break;
                    }

                    default:
                        tainted |= PeerWrite(area, ref input);
                        break;
                }
            }

            // Drain: everything that went in comes out, in order.
            while (consumer.TryRead(out ReadOnlySpan<byte> record))
            {
                area.CheckRecord(record, consumer.MaxRecordLength);
                if (!tainted)
                {
                    Check(model.Count != 0 && record.SequenceEqual(model.Dequeue()), "drained record differs from the model");
                }

                consumer.Release();
            }

            Check(tainted || model.Count == 0, $"{model.Count} committed records never came out");
        }
        catch (InvalidDataException) when (tainted)
        {
        }
    }

    /// <summary>The peer writes to shared memory. Returns true when it changed anything the model relies on.</summary>
    private static bool PeerWrite(Area area, ref Reader input)
    {
        byte what = input.Byte();
        switch (what % 4)
        {
            case 0:
                area.Tail += (short)input.UInt16();
                break;
            case 1:
                area.Head += (short)input.UInt16();
                break;
            case 2:
                area.WriteRecordBytes(input.UInt16(), input.UInt32());
                break;
            default:
                if ((what & 4) != 0)
                {
                    area.Tail = input.Int64();
                }
                else
                {
                    area.Head = input.Int64();
                }

                break;
        }

        return true;
    }

    private static void Fill(Span<byte> payload, int sequence)
    {
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)((sequence * 31) + i);
        }
    }

    private static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFailureException($"bytering: {what}.");
        }
    }

    /// <summary>The ring's shared fields and record area, seen from outside the ring.</summary>
    private readonly struct Area(DmaRegion region, int offset, long capacity)
    {
        public long Tail
        {
            get => BinaryPrimitives.ReadInt64LittleEndian(region.GetSpan(offset + TailOffset, 8));
            set => BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(offset + TailOffset, 8), value);
        }

        public long Head
        {
            get => BinaryPrimitives.ReadInt64LittleEndian(region.GetSpan(offset + HeadOffset, 8));
            set => BinaryPrimitives.WriteInt64LittleEndian(region.GetSpan(offset + HeadOffset, 8), value);
        }

        public void WriteRecordBytes(int position, uint value)
        {
            int at = (int)(position % (capacity - 3));
            BinaryPrimitives.WriteUInt32LittleEndian(region.GetSpan(offset + HeaderSize + at, 4), value);
        }

        /// <summary>Throws unless <paramref name="record"/> lies inside the record area and is no longer than <paramref name="max"/>.</summary>
        public void CheckRecord(ReadOnlySpan<byte> record, int max)
        {
            ref byte start = ref MemoryMarshal.GetReference(region.GetSpan(offset + HeaderSize, (int)capacity));
            long at = Unsafe.ByteOffset(ref start, ref MemoryMarshal.GetReference(record));
            Check(record.Length <= max, $"a record of {record.Length} bytes exceeds MaxRecordLength {max}");
            Check(at >= 0 && at + record.Length <= capacity, $"a record of {record.Length} bytes at area offset {at} lies outside the {capacity}-byte area");
        }
    }

    /// <summary>Reads the operation stream; past its end every read returns zeros.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public readonly bool End => _data.IsEmpty;

        public byte Byte()
        {
            if (_data.IsEmpty)
            {
                return 0;
            }

            byte b = _data[0];
            _data = _data[1..];
            return b;
        }

        public ushort UInt16() => (ushort)(Byte() | (Byte() << 8));

        public uint UInt32() => UInt16() | ((uint)UInt16() << 16);

        public long Int64() => (long)(UInt32() | ((ulong)UInt32() << 32));
    }
}
