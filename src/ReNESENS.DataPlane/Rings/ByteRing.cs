using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Rings;

/// <summary>
/// A single-producer, single-consumer ring of variable-length records inside a
/// <see cref="DmaRegion"/>, usable between two processes that map the same memory file.
/// Records are written and read in place: the producer <see cref="TryReserve"/>s a contiguous
/// span, fills it and <see cref="Commit"/>s it; the consumer <see cref="TryRead"/>s the next
/// record and <see cref="Release"/>s it when done. Nothing is copied.
/// </summary>
/// <remarks>
/// <para>Each side holds its own <see cref="ByteRing"/> object: one process calls
/// <see cref="Create"/>, the other <see cref="Attach"/>. One thread produces and one thread
/// consumes; the object does not guard against two producers.</para>
/// <para>The other process is not trusted: every index and record header read from shared
/// memory is copied once and checked before use, and a ring found corrupt throws
/// <see cref="InvalidDataException"/> without touching memory outside the record area.</para>
/// </remarks>
public sealed unsafe class ByteRing
{
    private readonly DmaRegion _region;
    private readonly ByteRingHeader* _header;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly long _mask;

    /// <summary>Producer: bytes (padding included) of the outstanding reservation, 0 when none. Producer thread only.</summary>
    private long _reserved;

    /// <summary>Producer: filler written in front of the outstanding reservation. Producer thread only.</summary>
    private long _reservedPadding;

    /// <summary>
    /// Producer: the tail this side last published. Read from shared memory once (when the ring is
    /// created or attached) and from then on only written there, so a peer that scribbles on Tail
    /// cannot move where we write. Producer thread only.
    /// </summary>
    private long _tail;

    /// <summary>Consumer: bytes (padding included) of the record handed out by <see cref="TryRead"/>, 0 when none. Consumer thread only.</summary>
    private long _reading;

    /// <summary>Consumer: the head this side last published; read from shared memory once, like <see cref="_tail"/>. Consumer thread only.</summary>
    private long _head;

    private ByteRing(DmaRegion region, long offset, long capacity, long head, long tail)
    {
        _head = head;
        _tail = tail;
        _region = region;

        // Invariant: the caller checked [offset, offset + RequiredSize(capacity)) lies in the region.
        _header = (ByteRingHeader*)(region.Pointer + offset);
        _data = region.Pointer + offset + ByteRingHeader.Size;
        _capacity = capacity;
        _mask = capacity - 1;
    }

    /// <summary>Bytes in the record area.</summary>
    public long Capacity => _capacity;

    /// <summary>Largest payload one record can hold: half of <see cref="Capacity"/> less the record header.</summary>
    /// <remarks>
    /// The half bound guarantees that a record always fits once the ring is drained, wherever the
    /// wrap point falls: either it fits before the end, or the filler before it is shorter than it.
    /// </remarks>
    public int MaxRecordLength => (int)Math.Min(int.MaxValue, (_capacity / 2) - ByteRingRecordHeader.Size);

    /// <summary>Bytes the ring needs in a region for a record area of <paramref name="capacity"/> bytes.</summary>
    public static long GetRequiredSize(long capacity)
    {
        CheckCapacity(capacity);
        return ByteRingHeader.Size + capacity;
    }

    /// <summary>Lays out a new, empty ring at <paramref name="offset"/> (a multiple of 128) in <paramref name="region"/>.</summary>
    /// <param name="region">The shared memory.</param>
    /// <param name="offset">Where the ring starts.</param>
    /// <param name="capacity">Bytes of the record area: a power of two from 256 to 2^40.</param>
    public static ByteRing Create(DmaRegion region, long offset, long capacity)
    {
        ArgumentNullException.ThrowIfNull(region);
        CheckCapacity(capacity);
        CheckPlacement(region, offset, GetRequiredSize(capacity));
        var ring = new ByteRing(region, offset, capacity, head: 0, tail: 0);
        ByteRingHeader* h = ring._header;
        h->Capacity = capacity;
        h->Version = ByteRingHeader.CurrentVersion;
        Volatile.Write(ref h->Tail, 0);
        Volatile.Write(ref h->Head, 0);

        // R0: publishes the layout; pairs with A0 in Attach (a process that sees the magic sees the rest).
        Volatile.Write(ref h->Magic, ByteRingHeader.MagicValue);
        return ring;
    }

    /// <summary>Joins a ring that another process laid out with <see cref="Create"/>.</summary>
    /// <exception cref="InvalidDataException">No valid ring header is at <paramref name="offset"/>.</exception>
    public static ByteRing Attach(DmaRegion region, long offset)
    {
        ArgumentNullException.ThrowIfNull(region);
        CheckPlacement(region, offset, ByteRingHeader.Size);
        var h = (ByteRingHeader*)(region.Pointer + offset);

        // A0: pairs with R0 in Create.
        uint magic = Volatile.Read(ref h->Magic);
        uint version = h->Version;
        long capacity = h->Capacity;
        if (magic != ByteRingHeader.MagicValue || version != ByteRingHeader.CurrentVersion)
        {
            throw new InvalidDataException($"No ByteRing version {ByteRingHeader.CurrentVersion} at offset {offset} (magic 0x{magic:x8}, version {version}).");
        }

        if (capacity < MinCapacity || capacity > MaxCapacity || !BitOperations.IsPow2(capacity)
            || capacity > region.Length - offset - ByteRingHeader.Size)
        {
            throw new InvalidDataException($"The ByteRing at offset {offset} claims a capacity of {capacity} bytes, which is not a power of two that fits the region.");
        }

        // The only read of each side's own index: afterwards each side keeps its index privately.
        // Records and padding are 8-byte multiples, so correct indices are 8-aligned; an unaligned
        // one would put a record header across the end of the area.
        long head = Volatile.Read(ref h->Head);
        long tail = Volatile.Read(ref h->Tail);
        if (((head | tail) & 7) != 0 || (ulong)(tail - head) > (ulong)capacity)
        {
            throw new InvalidDataException($"The ByteRing at offset {offset} has head {head} and tail {tail}, which no correct pair of sides leaves in a {capacity}-byte ring.");
        }

        return new ByteRing(region, offset, capacity, head, tail);
    }

    /// <summary>
    /// Reserves room for a record of <paramref name="length"/> bytes and returns it as one
    /// contiguous span. Returns false when the ring lacks room now (the consumer is behind).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or above <see cref="MaxRecordLength"/>.</exception>
    /// <exception cref="InvalidOperationException">A reservation is already outstanding.</exception>
    /// <exception cref="InvalidDataException">The shared indices are in a state no correct pair of sides can leave.</exception>
    public bool TryReserve(int length, out Span<byte> record)
    {
        if ((uint)length > (uint)MaxRecordLength)
        {
            ThrowLength(length);
        }

        if (_reserved != 0)
        {
            ThrowState("A reservation is already outstanding; Commit it first.");
        }

        _region.ThrowIfDisposed();
        long tail = _tail;

        // A1: pairs with R3 in Release: the consumer is done with the bytes up to Head.
        long head = Volatile.Read(ref _header->Head);
        long used = tail - head;
        if ((ulong)used > (ulong)_capacity)
        {
            ThrowCorrupt($"head {head} and tail {tail} are {used} bytes apart in a {_capacity}-byte ring");
        }

        long need = RecordSize(length);
        long position = tail & _mask;
        long contiguous = _capacity - position;
        long padding = need <= contiguous ? 0 : contiguous;
        if (padding + need > _capacity - used)
        {
            record = default;
            return false;
        }

        _reserved = padding + need;
        _reservedPadding = padding;
        long start = padding == 0 ? position : 0;

        // Invariant: start + need <= capacity (need fits before the end, or the record restarts at 0 and need <= capacity / 2).
        record = new Span<byte>(_data + start + ByteRingRecordHeader.Size, length);
        return true;
    }

    /// <summary>Publishes the reserved record, shortened to <paramref name="length"/> bytes (at most what was reserved).</summary>
    /// <exception cref="InvalidOperationException">No reservation is outstanding.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length exceeds the reservation.</exception>
    public void Commit(int length)
    {
        if (_reserved == 0)
        {
            ThrowState("No reservation is outstanding.");
        }

        long reservedLength = _reserved - _reservedPadding - ByteRingRecordHeader.Size;
        if ((uint)length > (ulong)reservedLength)
        {
            ThrowLength(length);
        }

        long tail = _tail;
        long position = tail & _mask;
        if (_reservedPadding != 0)
        {
            WriteHeader(position, (uint)(_reservedPadding - ByteRingRecordHeader.Size), ByteRingRecordHeader.KindPadding);
            position = 0;
        }

        WriteHeader(position, (uint)length, ByteRingRecordHeader.KindData);
        long advance = _reservedPadding + RecordSize(length);
        _reserved = 0;
        _reservedPadding = 0;
        _tail = tail + advance;

        // R1: publishes the record bytes and headers; pairs with A2 in TryRead.
        Volatile.Write(ref _header->Tail, tail + advance);
    }

    /// <summary>Copies <paramref name="payload"/> into a new record: reserve, copy, commit.</summary>
    /// <returns>False when the ring lacks room now.</returns>
    public bool TryWrite(ReadOnlySpan<byte> payload)
    {
        if (!TryReserve(payload.Length, out Span<byte> record))
        {
            return false;
        }

        payload.CopyTo(record);
        Commit(payload.Length);
        return true;
    }

    /// <summary>
    /// Returns the next record in place, or false when the ring is empty. The span stays
    /// valid until <see cref="Release"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The previous record was not released.</exception>
    /// <exception cref="InvalidDataException">The producer left the ring in a state no correct producer can.</exception>
    public bool TryRead(out ReadOnlySpan<byte> record)
    {
        if (_reading != 0)
        {
            ThrowState("The previous record was not released.");
        }

        _region.ThrowIfDisposed();
        long head = _head;

        // A2: pairs with R1 in Commit: the record bytes are visible once Tail covers them.
        long tail = Volatile.Read(ref _header->Tail);
        long available = tail - head;
        if (available == 0)
        {
            record = default;
            return false;
        }

        if ((ulong)available > (ulong)_capacity)
        {
            ThrowCorrupt($"head {head} and tail {tail} are {available} bytes apart in a {_capacity}-byte ring");
        }

        long position = head & _mask;
        ByteRingRecordHeader header = ReadHeader(position);
        long consumed = 0;
        if (header.Kind == ByteRingRecordHeader.KindPadding)
        {
            // Filler runs exactly to the end of the area, and a record must follow it.
            long filler = _capacity - position;
            if (header.Length != filler - ByteRingRecordHeader.Size || filler >= available)
            {
                ThrowCorrupt($"bad padding record of {header.Length} bytes at position {position}");
            }

            consumed = filler;
            available -= filler;
            position = 0;
            header = ReadHeader(0);
        }

        if (header.Kind != ByteRingRecordHeader.KindData)
        {
            ThrowCorrupt($"record kind {header.Kind} at position {position}");
        }

        // No correct producer writes more than MaxRecordLength; a consumer may size its buffers by it.
        if (header.Length > (uint)MaxRecordLength)
        {
            ThrowCorrupt($"a {header.Length}-byte record at position {position} exceeds the {MaxRecordLength}-byte maximum");
        }

        long size = RecordSize((int)header.Length);
        if (size > available || size > _capacity - position)
        {
            ThrowCorrupt($"a {header.Length}-byte record at position {position} runs past the {available} bytes published or the end of the area");
        }

        _reading = consumed + size;

        // Invariant: position + size <= capacity was checked just above, on the local copy of the header.
        record = new ReadOnlySpan<byte>(_data + position + ByteRingRecordHeader.Size, (int)header.Length);
        return true;
    }

    /// <summary>Gives the record returned by <see cref="TryRead"/> back to the producer.</summary>
    /// <exception cref="InvalidOperationException">No record is being read.</exception>
    public void Release()
    {
        if (_reading == 0)
        {
            ThrowState("No record is being read.");
        }

        long head = _head + _reading;
        _head = head;
        _reading = 0;

        // R3: hands the bytes back; pairs with A1 in TryReserve.
        Volatile.Write(ref _header->Head, head);
    }

    private const long MinCapacity = 256;
    private const long MaxCapacity = 1L << 40;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long RecordSize(int length) => (ByteRingRecordHeader.Size + (long)length + 7) & ~7L;

    private ByteRingRecordHeader ReadHeader(long position)
    {
        // Invariant: position is 8-aligned (private indices only ever advance by 8-byte multiples from
        // checked starts) and below capacity, so the 8-byte header lies in the area.
        // Shared memory is read once: the caller checks and uses only this copy.
        return Unsafe.ReadUnaligned<ByteRingRecordHeader>(_data + position);
    }

    private void WriteHeader(long position, uint length, uint kind)
    {
        // Invariant: position is 8-aligned and below capacity (see TryReserve).
        Unsafe.WriteUnaligned(_data + position, new ByteRingRecordHeader { Length = length, Kind = kind });
    }

    private static void CheckCapacity(long capacity)
    {
        if (capacity < MinCapacity || capacity > MaxCapacity || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"The capacity must be a power of two from {MinCapacity} to {MaxCapacity}.");
        }
    }

    private static void CheckPlacement(DmaRegion region, long offset, long size)
    {
        if (offset % 128 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset must be a multiple of 128.");
        }

        region.CheckRange(offset, size);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowLength(int length) =>
        throw new ArgumentOutOfRangeException(nameof(length), length, $"A record holds 0 to {MaxRecordLength} bytes here.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowState(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCorrupt(string what) => throw new InvalidDataException($"ByteRing corrupt: {what}.");
}
