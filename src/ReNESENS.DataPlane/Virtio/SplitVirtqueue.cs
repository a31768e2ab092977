using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>A split virtqueue (VIRTIO 1.2 section 2.7): descriptor table, available ring, used ring.</summary>
internal sealed unsafe class SplitVirtqueue : Virtqueue
{
    private const ushort AvailNoInterrupt = 1;
    private const ushort UsedNoNotify = 1;

    private readonly byte* _descriptors;
    private readonly ushort* _availFlags;
    private readonly ushort* _availIndex;
    private readonly ushort* _availRing;
    private readonly ushort* _usedEvent;
    private readonly ushort* _usedFlags;
    private readonly ushort* _usedIndex;
    private readonly UsedElement* _usedRing;
    private readonly ushort* _availEvent;
    private readonly int _mask;

    // Used elements of the current burst, written to the ring together just before used idx (as DPDK's shadow used
    // ring): the ring's lines, which the driver reads, then change hands once per burst rather than once per element.
    private readonly UsedElement[] _shadow;
    private int _shadowCount;

    private ushort _lastAvail;
    private ushort _cachedAvail;
    private ushort _nextUsed;
    private ushort _publishedUsed;

    private SplitVirtqueue(GuestMemory memory, int size, bool indirect, bool eventIndex, byte* descriptors, byte* avail, byte* used, ushort start)
        : base(memory, size, indirect, eventIndex)
    {
        // Invariant (all pointers below): the three areas were translated whole, with the lengths of Create.
        _descriptors = descriptors;
        _availFlags = (ushort*)avail;
        _availIndex = (ushort*)(avail + 2);
        _availRing = (ushort*)(avail + 4);
        _usedEvent = (ushort*)(avail + 4 + (2 * size));
        _usedFlags = (ushort*)used;
        _usedIndex = (ushort*)(used + 2);
        _usedRing = (UsedElement*)(used + 4);
        _availEvent = (ushort*)(used + 4 + (8 * size));
        _mask = size - 1;
        _shadow = new UsedElement[size];
        _lastAvail = start;
        _cachedAvail = start;
        _nextUsed = start;
        _publishedUsed = start;
    }

    internal override QueuePosition Position => new(_lastAvail, false, SegmentMark);

    /// <summary>Maps a split ring from the frontend addresses of <c>VHOST_USER_SET_VRING_ADDR</c>; null when an area is unmapped, misaligned or the size is not a power of two.</summary>
    internal static SplitVirtqueue? Create(GuestMemory memory, int size, ulong descriptors, ulong avail, ulong used, ushort start, bool indirect, bool eventIndex)
    {
        if (size is <= 0 or > MaxSize || (size & (size - 1)) != 0)
        {
            return null;
        }

        byte* d = MapRing(memory, descriptors, (ulong)size * DescriptorSize, 16);
        byte* a = MapRing(memory, avail, 6 + (2 * (ulong)size), 2);
        byte* u = MapRing(memory, used, 6 + (8 * (ulong)size), 4);
        return d == null || a == null || u == null ? null : new SplitVirtqueue(memory, size, indirect, eventIndex, d, a, u, start);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal override bool TryTake(bool deviceWrites, out VirtqueueBuffer buffer)
    {
        buffer = default;
        if (Error != VirtqueueError.None)
        {
            return false;
        }

        if (_lastAvail == _cachedAvail && !RefreshAvail())
        {
            return false;
        }

        // Read once: the guest may rewrite the ring entry after this.
        ushort head = Volatile.Read(ref _availRing[_lastAvail & _mask]);
        buffer = BeginBuffer();
        if (head >= Size)
        {
            return Fail(VirtqueueError.DescriptorIndexOutOfRange);
        }

        // The one copy of the head descriptor: head < Size was checked, so it lies inside the table.
        SplitDescriptor first = Unsafe.ReadUnaligned<SplitDescriptor>(_descriptors + (head * DescriptorSize));
        VirtqueueError error = (first.Flags & (FlagNext | FlagIndirect)) == 0
            ? AddSegment(first.Address, first.Length, first.Flags, deviceWrites, ref buffer) // A chain of one: the common case.
            : Walk(first, deviceWrites, ref buffer);
        if (error != VirtqueueError.None)
        {
            return Fail(error);
        }

        buffer.Id = head;
        buffer.SlotCount = 1;
        _lastAvail++;
        return true;
    }

    internal override void Restore(QueuePosition position)
    {
        _lastAvail = position.Index;
        RewindSegments(position.SegmentMark);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal override void AddUsed(in VirtqueueBuffer buffer, uint written)
    {
        if (_shadowCount == _shadow.Length)
        {
            // More than a ring's worth before one publish (a driver that reposts buffers during a long burst).
            WriteShadow();
        }

        ref UsedElement e = ref _shadow[_shadowCount++];
        e.Id = buffer.Id;
        e.Length = written;
        _nextUsed++;
    }

    internal override void SetDriverNotifications(bool enabled)
    {
        if (EventIndexEnabled)
        {
            // Kick me once the driver's avail idx passes what I have seen.
            Volatile.Write(ref *_availEvent, enabled ? _lastAvail : (ushort)(_lastAvail - 1));
        }
        else
        {
            Volatile.Write(ref *_usedFlags, enabled ? (ushort)0 : UsedNoNotify);
        }

        // Full: the store above before the caller's next load of avail idx (the driver's mirror is store idx, load flags).
        Interlocked.MemoryBarrier();
    }

    internal override bool HasAvailable() => Error == VirtqueueError.None && (_lastAvail != _cachedAvail || Volatile.Read(ref *_availIndex) != _lastAvail);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal override int CountAvailable(int max)
    {
        if (Error != VirtqueueError.None || (_lastAvail == _cachedAvail && !RefreshAvail()))
        {
            return 0;
        }

        return Math.Min((ushort)(_cachedAvail - _lastAvail), max);
    }

    internal override uint GetBase() => _lastAvail;

    /// <summary>
    /// Starts loading the descriptors, then the first two cache lines (a small packet and its header), of the next
    /// <paramref name="count"/> available buffers (counted by <see cref="CountAvailable"/>), so that a burst waits for
    /// its cache misses once, all of them in flight together, instead of once per buffer as the take loop reaches
    /// each. Hints only: nothing read here is trusted; <see cref="TryTake"/> reads and checks every field again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prefetch(int count)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        ushort first = _lastAvail;
        for (int i = 0; i < count; i++)
        {
            uint head = _availRing[(first + i) & _mask];
            if (head < (uint)Size)
            {
                // Invariant: head < Size, so the descriptor lies inside the table.
                Sse.Prefetch0(_descriptors + (head * DescriptorSize));
            }
        }

        for (int i = 0; i < count; i++)
        {
            uint head = _availRing[(first + i) & _mask];
            if (head >= (uint)Size)
            {
                continue;
            }

            // Invariant: head < Size (above). A prefetch never faults, but only translated addresses are used.
            ref readonly SplitDescriptor d = ref Unsafe.AsRef<SplitDescriptor>(_descriptors + (head * DescriptorSize));
            uint length = Math.Min(d.Length, 128u);
            byte* data = length == 0 ? null : Memory.TranslateGuest(d.Address, length);
            if (data != null)
            {
                Sse.Prefetch0(data);
                Sse.Prefetch0(data + length - 1);
            }
        }
    }

    protected override bool PublishUsed(bool checkNotify)
    {
        ushort next = _nextUsed;
        ushort old = _publishedUsed;
        if (next == old)
        {
            return false;
        }

        WriteShadow();

        // R1: release, pairs with the driver's acquire load of used idx: the used elements are visible first.
        Volatile.Write(ref *_usedIndex, next);
        _publishedUsed = next;
        if (!checkNotify)
        {
            return false;
        }

        // Full: the used idx store above before the load of the driver's suppression state below.
        Interlocked.MemoryBarrier();
        if (EventIndexEnabled)
        {
            ushort usedEvent = Volatile.Read(ref *_usedEvent);
            return (ushort)(next - usedEvent - 1) < (ushort)(next - old);
        }

        return (Volatile.Read(ref *_availFlags) & AvailNoInterrupt) == 0;
    }

    /// <summary>Copies the burst's used elements into the ring, where they end at <see cref="_nextUsed"/>.</summary>
    private void WriteShadow()
    {
        int count = _shadowCount;
        int position = (ushort)(_nextUsed - count) & _mask;
        int first = Math.Min(count, Size - position);

        // Invariant: position < Size and first + (count - first) = count <= Size, so both pieces lie inside the ring.
        _shadow.AsSpan(0, first).CopyTo(new Span<UsedElement>(_usedRing + position, first));
        _shadow.AsSpan(first, count - first).CopyTo(new Span<UsedElement>(_usedRing, count - first));
        _shadowCount = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RefreshAvail()
    {
        // A1: acquire, pairs with the driver's release store of avail idx: ring entries and descriptors are read after it.
        ushort avail = Volatile.Read(ref *_availIndex);
        ushort pending = (ushort)(avail - _lastAvail);
        if (pending > Size)
        {
            return Fail(VirtqueueError.AvailableIndexJump);
        }

        _cachedAvail = avail;
        return pending != 0;
    }

    /// <summary>Follows a chain from its head descriptor (already copied, by <see cref="TryTake"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private VirtqueueError Walk(SplitDescriptor head, bool deviceWrites, ref VirtqueueBuffer buffer)
    {
        byte* table = _descriptors;
        int tableSize = Size;
        int budget = Size;
        int index = 0;
        bool inIndirect = false;
        SplitDescriptor d = head;
        for (bool first = true; ; first = false)
        {
            if (budget-- == 0)
            {
                return VirtqueueError.ChainTooLong;
            }

            if (!first)
            {
                // The one copy of this descriptor: index < tableSize was checked, so it lies inside the table.
                d = Unsafe.ReadUnaligned<SplitDescriptor>(table + (index * DescriptorSize));
            }

            if ((d.Flags & FlagIndirect) != 0)
            {
                if (inIndirect || !first || (d.Flags & FlagNext) != 0)
                {
                    return VirtqueueError.InvalidIndirect;
                }

                table = MapIndirectTable(d.Address, d.Length, out tableSize, out VirtqueueError tableError);
                if (table == null)
                {
                    return tableError;
                }

                inIndirect = true;
                budget = tableSize;
                index = 0;
                continue;
            }

            VirtqueueError error = AddSegment(d.Address, d.Length, d.Flags, deviceWrites, ref buffer);
            if (error != VirtqueueError.None)
            {
                return error;
            }

            if ((d.Flags & FlagNext) == 0)
            {
                return VirtqueueError.None;
            }

            index = d.Next;
            if (index >= tableSize)
            {
                return VirtqueueError.DescriptorIndexOutOfRange;
            }
        }
    }

    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct SplitDescriptor
    {
        [FieldOffset(0)]
        public ulong Address;

        [FieldOffset(8)]
        public uint Length;

        [FieldOffset(12)]
        public ushort Flags;

        [FieldOffset(14)]
        public ushort Next;
    }

    [StructLayout(LayoutKind.Explicit, Size = 8)]
    private struct UsedElement
    {
        [FieldOffset(0)]
        public uint Id;

        [FieldOffset(4)]
        public uint Length;
    }
}
