using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// One buffer of a <see cref="BufferPool"/> holding (part of) a packet, like a DPDK <c>rte_mbuf</c>:
/// headroom in front of the data, data offset and length, a chain of segments for frames larger than
/// one buffer, a reference count, and offload metadata (checksum, segmentation, VLAN).
/// </summary>
/// <remarks>
/// <para>
/// Layout of one buffer: <c>[headroom | data | tailroom]</c>, <see cref="Capacity"/> bytes in all.
/// The pool creates every <see cref="PacketBuffer"/> once; renting hands out one with a reference
/// count of 1, and the buffer returns to its pool when <see cref="Release"/> brings the count to 0.
/// </para>
/// <para>
/// Chains: the buffer that was rented first is the head; <see cref="Chain"/> appends segments. Through
/// the head: <see cref="Prepend"/> and <see cref="TrimFront"/> work on the first segment,
/// <see cref="Append"/> and <see cref="TrimEnd"/> on the last one, and <see cref="PacketLength"/>,
/// <see cref="SegmentCount"/> and the offload metadata describe the whole packet. A segment's own
/// <see cref="Data"/> may be read and written, but resizing, reference counting and metadata go
/// through the head (those calls on a segment throw <see cref="InvalidOperationException"/>).
/// </para>
/// <para>
/// Errors: misuse (a free buffer, a segment where a head is needed, a double release) throws
/// <see cref="InvalidOperationException"/>; a byte count outside the room available throws
/// <see cref="ArgumentOutOfRangeException"/> from <see cref="Prepend"/>, <see cref="Append"/>,
/// <see cref="TrimFront"/> and <see cref="TrimEnd"/>, while <see cref="TryPrepend"/> and
/// <see cref="TryAppend"/> return false instead (as DPDK returns NULL).
/// A buffer is used by one thread at a time; only <see cref="AddRef"/> and <see cref="Release"/> are
/// thread-safe, so several holders may share it read-only.
/// </para>
/// </remarks>
public sealed class PacketBuffer
{
    private readonly BufferPool _pool;
    private readonly DmaRegion _region;
    private readonly long _bufferOffset;
    private readonly int _capacity;
    private readonly int _defaultHeadroom;
    private readonly int _index;

    /// <summary>
    /// References held; 0 while the buffer is free. Changed with CAS by <see cref="AddRef"/> and
    /// <see cref="Release"/> (any thread), and set to 1 by the pool on rent, when it owns the buffer alone.
    /// </summary>
    internal int RefCountField;

    // The fields below are written only by the one thread using the buffer (see remarks).
    private int _dataOffset;
    private int _dataLength;
    private int _packetLength;
    private int _segmentCount;
    private PacketBuffer? _next;
    private PacketBuffer _last;
    private bool _isSegment;
    private ChecksumState _checksumState;
    private ushort _checksumStart;
    private ushort _checksumOffset;
    private GsoType _gsoType;
    private ushort _gsoSize;
    private ushort _vlanTci;
    private bool _hasVlan;

    internal PacketBuffer(BufferPool pool, DmaRegion region, int index, long bufferOffset, int capacity, int headroom)
    {
        _pool = pool;
        _region = region;
        _index = index;
        _bufferOffset = bufferOffset;
        _capacity = capacity;
        _defaultHeadroom = headroom;
        _last = this;
        _dataOffset = headroom;
        _segmentCount = 1;
    }

    /// <summary>The pool this buffer belongs to and returns to.</summary>
    public BufferPool Pool => _pool;

    /// <summary>Size of the buffer in bytes (headroom + data + tailroom).</summary>
    public int Capacity => _capacity;

    /// <summary>Offset of the first data byte from the start of the buffer; also the headroom available to <see cref="Prepend"/>.</summary>
    public int DataOffset => _dataOffset;

    /// <summary>Bytes in front of the data of this buffer, usable by <see cref="Prepend"/> (same as <see cref="DataOffset"/>).</summary>
    public int Headroom => _dataOffset;

    /// <summary>Bytes after the data of the chain's last segment, usable by <see cref="Append"/>.</summary>
    public int Tailroom => _last._capacity - _last._dataOffset - _last._dataLength;

    /// <summary>Bytes of data in this buffer (this segment only).</summary>
    public int DataLength => _dataLength;

    /// <summary>Bytes of data in the whole chain. Kept on the head; not maintained on a segment.</summary>
    public int PacketLength => _packetLength;

    /// <summary>Number of buffers in the chain, this one included. Kept on the head; not maintained on a segment.</summary>
    public int SegmentCount => _segmentCount;

    /// <summary>The next segment of the chain, or null for the last one.</summary>
    public PacketBuffer? Next => _next;

    /// <summary>True when this buffer was chained behind another and belongs to that head.</summary>
    public bool IsSegment => _isSegment;

    /// <summary>Current number of references (0 when free); a snapshot, for diagnostics.</summary>
    public int ReferenceCount => Volatile.Read(ref RefCountField); // Diagnostic read, no edge.

    /// <summary>The data of this buffer (this segment only): <see cref="DataLength"/> bytes at <see cref="DataOffset"/>.</summary>
    /// <exception cref="InvalidOperationException">The buffer is free.</exception>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    public Span<byte> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (RefCountField <= 0)
            {
                MemoryThrowHelper.ThrowNotRented();
            }

            return _region.GetSpan(_bufferOffset + _dataOffset, _dataLength);
        }
    }

    /// <summary>
    /// The same bytes as <see cref="Data"/>, as <see cref="Memory{T}"/> for asynchronous APIs; valid until the
    /// buffer is released. Allocation-free for regions up to 2 GiB (larger regions allocate a small view object).
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer is free.</exception>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    public Memory<byte> DataMemory
    {
        get
        {
            if (RefCountField <= 0)
            {
                MemoryThrowHelper.ThrowNotRented();
            }

            return _region.GetMemory(_bufferOffset + _dataOffset, _dataLength);
        }
    }

    /// <summary>IOVA of the first data byte (region IOVA + buffer offset + <see cref="DataOffset"/>), what a device or guest descriptor holds.</summary>
    public ulong Iova => _region.GetIova(_bufferOffset + _dataOffset);

    /// <summary>Checksum offload state of the packet.</summary>
    public ChecksumState ChecksumState => _checksumState;

    /// <summary>With <see cref="ChecksumState.Partial"/>: offset from the start of the packet data where checksumming starts (virtio <c>csum_start</c>).</summary>
    public int ChecksumStart => _checksumStart;

    /// <summary>With <see cref="ChecksumState.Partial"/>: offset from <see cref="ChecksumStart"/> where the 16-bit checksum is stored (virtio <c>csum_offset</c>).</summary>
    public int ChecksumOffset => _checksumOffset;

    /// <summary>Segmentation offload requested for the packet.</summary>
    public GsoType GsoType => _gsoType;

    /// <summary>Payload bytes per segment when <see cref="GsoType"/> is not <see cref="GsoType.None"/>, else 0 (virtio <c>gso_size</c>).</summary>
    public int GsoSize => _gsoSize;

    /// <summary>True when <see cref="VlanTci"/> holds a VLAN tag stripped from (or to insert into) the frame.</summary>
    public bool HasVlan => _hasVlan;

    /// <summary>The 802.1Q tag control information (PCP, DEI, VLAN id) when <see cref="HasVlan"/>, else 0.</summary>
    public int VlanTci => _vlanTci;

    /// <summary>Index of this buffer in its pool.</summary>
    internal int Index => _index;

    /// <summary>Grows the data of the head segment by <paramref name="count"/> bytes into its headroom.</summary>
    /// <returns>The new bytes at the front of the data (not cleared: they hold whatever the buffer held before).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or larger than <see cref="Headroom"/>.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Prepend(int count)
    {
        if (!TryPrepend(count, out Span<byte> prepended))
        {
            MemoryThrowHelper.ThrowNoRoom(nameof(count), count, _dataOffset, "headroom");
        }

        return prepended;
    }

    /// <summary>Grows the data of the head segment by <paramref name="count"/> bytes into its headroom, if there is room.</summary>
    /// <param name="count">Bytes to add in front; not negative.</param>
    /// <param name="prepended">The new bytes at the front of the data (not cleared); empty when false is returned.</param>
    /// <returns>False (nothing changed) when the headroom is smaller than <paramref name="count"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPrepend(int count, out Span<byte> prepended)
    {
        CheckHead();
        if (count < 0)
        {
            MemoryThrowHelper.ThrowNegative(nameof(count), count);
        }

        if (count > _dataOffset || count > int.MaxValue - _packetLength)
        {
            prepended = default;
            return false;
        }

        _dataOffset -= count;
        _dataLength += count;
        _packetLength += count;
        prepended = _region.GetSpan(_bufferOffset + _dataOffset, count);
        return true;
    }

    /// <summary>Grows the data of the last segment by <paramref name="count"/> bytes into its tailroom.</summary>
    /// <returns>The new bytes at the end of the data (not cleared: they hold whatever the buffer held before).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or larger than <see cref="Tailroom"/>.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Append(int count)
    {
        if (!TryAppend(count, out Span<byte> appended))
        {
            MemoryThrowHelper.ThrowNoRoom(nameof(count), count, Tailroom, "tailroom");
        }

        return appended;
    }

    /// <summary>Grows the data of the last segment by <paramref name="count"/> bytes into its tailroom, if there is room.</summary>
    /// <param name="count">Bytes to add at the end; not negative.</param>
    /// <param name="appended">The new bytes at the end of the data (not cleared); empty when false is returned.</param>
    /// <returns>False (nothing changed) when the tailroom is smaller than <paramref name="count"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAppend(int count, out Span<byte> appended)
    {
        CheckHead();
        if (count < 0)
        {
            MemoryThrowHelper.ThrowNegative(nameof(count), count);
        }

        PacketBuffer last = _last;
        long end = last._dataOffset + last._dataLength;
        if (count > last._capacity - end || count > int.MaxValue - _packetLength)
        {
            appended = default;
            return false;
        }

        last._dataLength += count;
        _packetLength += count;
        appended = last._region.GetSpan(last._bufferOffset + end, count);
        return true;
    }

    /// <summary>
    /// <see cref="Append"/> for a buffer its caller has just rented (an unchained head without data) and whose
    /// <see cref="Tailroom"/> it checked against <paramref name="count"/>: the same effect without checking again what
    /// the caller proved; the region's range and liveness are still checked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<byte> AppendToFresh(int count)
    {
        Debug.Assert(RefCountField > 0 && !_isSegment && _next is null && _dataLength == 0 && (uint)count <= (uint)Tailroom, "A freshly rented buffer with room for the data.");
        _dataLength = count;
        _packetLength = count;
        return _region.GetSpan(_bufferOffset + _dataOffset, count);
    }

    /// <summary>Removes <paramref name="count"/> bytes from the front of the head segment's data (DPDK <c>rte_pktmbuf_adj</c>); they become headroom.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or larger than <see cref="DataLength"/>.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TrimFront(int count)
    {
        CheckHead();
        if ((uint)count > (uint)_dataLength)
        {
            ThrowBadTrim(count, _dataLength, "first segment");
        }

        _dataOffset += count;
        _dataLength -= count;
        _packetLength -= count;
    }

    /// <summary>Removes <paramref name="count"/> bytes from the end of the last segment's data (DPDK <c>rte_pktmbuf_trim</c>); they become tailroom.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or larger than the last segment's data.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TrimEnd(int count)
    {
        CheckHead();
        PacketBuffer last = _last;
        if ((uint)count > (uint)last._dataLength)
        {
            ThrowBadTrim(count, last._dataLength, "last segment");
        }

        last._dataLength -= count;
        _packetLength -= count;
    }

    /// <summary>
    /// Appends <paramref name="tail"/> (a rented head, with its own segments) to the end of this chain.
    /// The caller's reference to <paramref name="tail"/> moves to this chain: releasing the head frees every segment.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="tail"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tail"/> is this buffer, a segment of a chain, free, or held by more than one reference.</exception>
    /// <exception cref="InvalidOperationException">This buffer is free or a segment.</exception>
    public void Chain(PacketBuffer tail)
    {
        ArgumentNullException.ThrowIfNull(tail);
        CheckHead();
        if (ReferenceEquals(tail, this))
        {
            MemoryThrowHelper.ThrowArgument(nameof(tail), "A buffer cannot be chained to itself.");
        }

        if (tail._isSegment)
        {
            MemoryThrowHelper.ThrowArgument(nameof(tail), "The buffer is already a segment of a chain.");
        }

        // The caller holds tail's only reference, so no other thread may change the count (no edge needed).
        if (Volatile.Read(ref tail.RefCountField) != 1)
        {
            MemoryThrowHelper.ThrowArgument(nameof(tail), "Only a rented buffer held by exactly one reference can be chained: its reference moves to the head.");
        }

        long length = (long)_packetLength + tail._packetLength;
        if (length > int.MaxValue)
        {
            MemoryThrowHelper.ThrowArgument(nameof(tail), "The chain would hold more than 2 GiB.");
        }

        _last._next = tail;
        _last = tail._last;
        _segmentCount += tail._segmentCount;
        _packetLength = (int)length;
        tail._isSegment = true;
    }

    /// <summary>The segments of this chain, this buffer first: <c>foreach (PacketBuffer segment in head.Segments)</c>.</summary>
    public PacketSegmentEnumerator Segments => new(this);

    /// <summary>Copies the data of the whole chain (<see cref="PacketLength"/> bytes) into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes copied.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="PacketLength"/>.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public int CopyTo(Span<byte> destination)
    {
        CheckHead();
        if (destination.Length < _packetLength)
        {
            MemoryThrowHelper.ThrowArgument(nameof(destination), $"The destination holds {destination.Length} bytes; the packet has {_packetLength}.");
        }

        int written = 0;
        for (PacketBuffer? segment = this; segment is not null; segment = segment._next)
        {
            segment.Data.CopyTo(destination[written..]);
            written += segment._dataLength;
        }

        return written;
    }

    /// <summary>Takes one more reference: the buffer goes back to its pool only after one more <see cref="Release"/>.</summary>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void AddRef()
    {
        if (_isSegment)
        {
            MemoryThrowHelper.ThrowSegment();
        }

        // C1: first guess for the CAS below; a stale value only makes the CAS fail once.
        int current = Volatile.Read(ref RefCountField);
        while (true)
        {
            if (current <= 0)
            {
                MemoryThrowHelper.ThrowNotRented();
            }

            if (current == int.MaxValue)
            {
                MemoryThrowHelper.ThrowInvalidOperation("Too many references to one packet buffer.");
            }

            // C2: pairs with C3 in DecrementReference: all changes of the count are in one total order.
            int seen = Interlocked.CompareExchange(ref RefCountField, current + 1, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// Drops one reference; the last one returns the whole chain to its pool(s), with clean metadata
    /// for the next renter. The buffer must not be used after its last release.
    /// </summary>
    /// <remarks>
    /// Releasing a free buffer is detected. Releasing a buffer that has meanwhile been rented again by
    /// someone else cannot be told apart from a legitimate release, nor can two threads releasing the same
    /// last reference at the same instant (as with <c>rte_mbuf</c>: the sole holder frees without an atomic).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The buffer is already free (released twice), or a segment (release the head).</exception>
    public void Release()
    {
        if (_isSegment)
        {
            MemoryThrowHelper.ThrowSegment();
        }

        if (DecrementReference())
        {
            FreeChain();
        }
    }

    /// <summary>
    /// Drops one reference of each packet, as <see cref="Release"/> on each in order, but returns the buffers
    /// freed to their pool in bursts (one per-thread cache look-up per run of buffers of one pool, like DPDK's
    /// <c>rte_pktmbuf_free_bulk</c>). The span's elements are not cleared.
    /// </summary>
    /// <param name="packets">Heads of packets the caller holds a reference to; none may appear twice.</param>
    /// <exception cref="InvalidOperationException">A buffer is already free or a segment; the packets before it were released.</exception>
    public static void ReleaseBurst(ReadOnlySpan<PacketBuffer> packets)
    {
        // Freed unchained heads of one pool wait here and go back together. An inline array, not a stack
        // allocation: a method with one cannot tier up with profile data.
        IndexRun run = default;
        Span<int> freed = run;
        int count = 0;
        BufferPool? pool = null;
        foreach (PacketBuffer p in packets)
        {
            if (p._isSegment || Volatile.Read(ref p.RefCountField) != 1 || p._next is not null)
            {
                // Shared, chained or misused: the general path, after what waits has gone back (so a throw loses nothing).
                pool?.ReturnBurst(freed[..count]);
                count = 0;
                pool = null;
                p.Release();
                continue;
            }

            // The only reference is ours, as in DecrementReference: no atomic.
            Volatile.Write(ref p.RefCountField, 0);
            if (!ReferenceEquals(p._pool, pool) || count == freed.Length)
            {
                pool?.ReturnBurst(freed[..count]);
                count = 0;
                pool = p._pool;
            }

            // What PrepareReturn checks holds here by construction: the buffer is its own pool's (both fields are
            // fixed when the pool makes it) and its count just went to 0 on this thread.
            p.ResetForReuse();
            freed[count++] = p._index;
        }

        pool?.ReturnBurst(freed[..count]);
    }

    /// <summary>Empties a rented, unchained buffer: headroom back to the pool's default, no data, clean metadata.</summary>
    /// <exception cref="InvalidOperationException">The buffer is free, a segment, or has segments (release the chain instead).</exception>
    public void Reset()
    {
        CheckHead();
        if (_next is not null)
        {
            MemoryThrowHelper.ThrowInvalidOperation("The buffer has segments: release the chain instead of resetting it.");
        }

        ResetFields();
    }

    /// <summary>Clears the checksum state (<see cref="ChecksumState.None"/>).</summary>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void SetChecksumNone()
    {
        CheckHead();
        _checksumState = ChecksumState.None;
        _checksumStart = 0;
        _checksumOffset = 0;
    }

    /// <summary>Marks the packet's checksums as verified (<see cref="ChecksumState.Valid"/>).</summary>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void SetChecksumValid()
    {
        CheckHead();
        _checksumState = ChecksumState.Valid;
        _checksumStart = 0;
        _checksumOffset = 0;
    }

    /// <summary>
    /// Marks the L4 checksum as still to be completed (<see cref="ChecksumState.Partial"/>): the sum from
    /// <paramref name="start"/> to the end goes at <paramref name="start"/> + <paramref name="offset"/>.
    /// Call after the data is in place: the 2-byte field must lie inside <see cref="PacketLength"/>.
    /// Values from a guest must be checked by the caller first; an out-of-bounds value here is a bug.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative, above 65535, or the checksum field lies past the end of the packet.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void SetChecksumPartial(int start, int offset)
    {
        CheckHead();
        if ((uint)start > ushort.MaxValue)
        {
            MemoryThrowHelper.ThrowArgumentOutOfRange(nameof(start), start, "The checksum start must be from 0 to 65535.");
        }

        if ((uint)offset > ushort.MaxValue)
        {
            MemoryThrowHelper.ThrowArgumentOutOfRange(nameof(offset), offset, "The checksum offset must be from 0 to 65535.");
        }

        if ((long)start + offset + sizeof(ushort) > _packetLength)
        {
            MemoryThrowHelper.ThrowArgumentOutOfRange(nameof(offset), offset, $"The checksum field at {start} + {offset} lies past the end of the {_packetLength}-byte packet.");
        }

        _checksumState = ChecksumState.Partial;
        _checksumStart = (ushort)start;
        _checksumOffset = (ushort)offset;
    }

    /// <summary>Sets the segmentation offload; <see cref="GsoType.None"/> takes a segment size of 0.</summary>
    /// <param name="type">The segmentation type.</param>
    /// <param name="segmentSize">Payload bytes per segment: 1 to 65535, or 0 with <see cref="GsoType.None"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type is unknown or the size does not fit it.</exception>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void SetGso(GsoType type, int segmentSize)
    {
        CheckHead();
        if ((uint)type > (uint)GsoType.UdpL4)
        {
            MemoryThrowHelper.ThrowArgumentOutOfRange(nameof(type), type, "Unknown segmentation type.");
        }

        if (type == GsoType.None ? segmentSize != 0 : segmentSize is <= 0 or > ushort.MaxValue)
        {
            MemoryThrowHelper.ThrowArgumentOutOfRange(nameof(segmentSize), segmentSize, "The segment size must be from 1 to 65535, or 0 without segmentation.");
        }

        _gsoType = type;
        _gsoSize = (ushort)segmentSize;
    }

    /// <summary>Records an 802.1Q tag (tag control information: PCP, DEI, VLAN id) for the packet.</summary>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void SetVlan(ushort tci)
    {
        CheckHead();
        _vlanTci = tci;
        _hasVlan = true;
    }

    /// <summary>Removes the VLAN tag from the metadata.</summary>
    /// <exception cref="InvalidOperationException">The buffer is free or a segment.</exception>
    public void ClearVlan()
    {
        CheckHead();
        _vlanTci = 0;
        _hasVlan = false;
    }

    /// <summary>Called by the pool after taking the buffer off a free list, while it owns it alone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void OnRent() => Volatile.Write(ref RefCountField, 1); // No edge: the renter owns the buffer alone; others see it by the renter's own hand-off.

    /// <summary>Called by the pool when the count reached 0, before the buffer is published as free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ResetForReuse()
    {
        _next = null;
        if (!ReferenceEquals(_last, this))
        {
            // Only a chain head moved it: the test spares the common unchained buffer a GC write barrier.
            _last = this;
        }

        _isSegment = false;
        ResetFields();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadTrim(int count, int length, string where)
    {
        if (count < 0)
        {
            MemoryThrowHelper.ThrowNegative(nameof(count), count);
        }

        MemoryThrowHelper.ThrowNoRoom(nameof(count), count, length, $"data of the {where}");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckHead()
    {
        if (RefCountField <= 0 || _isSegment)
        {
            ThrowNotHead();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotHead()
    {
        if (_isSegment)
        {
            MemoryThrowHelper.ThrowSegment();
        }

        MemoryThrowHelper.ThrowNotRented();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ResetFields()
    {
        _dataOffset = _defaultHeadroom;
        _dataLength = 0;
        _packetLength = 0;
        _segmentCount = 1;
        _checksumState = ChecksumState.None;
        _checksumStart = 0;
        _checksumOffset = 0;
        _gsoType = GsoType.None;
        _gsoSize = 0;
        _vlanTci = 0;
        _hasVlan = false;
    }

    /// <returns>True when this call dropped the last reference.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool DecrementReference()
    {
        // C1, as in AddRef; A1: acquire, pairs with the C3 of a holder that dropped its reference before us.
        int current = Volatile.Read(ref RefCountField);
        if (current == 1)
        {
            // The only reference is ours: nobody else may change the count (AddRef needs a reference), so no
            // atomic is needed (as rte_pktmbuf_prefree_seg). The index travels to the next renter by the same
            // thread's cache or by R1 in FreeIndexStack, which publishes every write made to the buffer.
            Volatile.Write(ref RefCountField, 0);
            return true;
        }

        while (true)
        {
            if (current <= 0)
            {
                MemoryThrowHelper.ThrowDoubleRelease();
            }

            // C3: full fence (release); pairs with C2 and with other holders' C3, so exactly one
            // release sees 1 -> 0 and every holder's writes happen before the buffer is freed;
            // the index then travels by R1 in FreeIndexStack (or the same thread's cache) to the next renter.
            int seen = Interlocked.CompareExchange(ref RefCountField, current - 1, current);
            if (seen == current)
            {
                return current == 1;
            }

            current = seen;
        }
    }

    private void FreeChain()
    {
        PacketBuffer? segment = _next;
        _pool.Return(this);
        while (segment is not null)
        {
            // Chained segments hold exactly one reference (Chain checks it; AddRef refuses segments).
            PacketBuffer? next = segment._next;
            // No edge: the head's C3 made this thread the chain's only user.
            Volatile.Write(ref segment.RefCountField, 0);
            segment._pool.Return(segment);
            segment = next;
        }
    }
}
