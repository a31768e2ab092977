using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A packed virtqueue (VIRTIO 1.2 section 2.8): one descriptor ring written by both sides, with wrap
/// counters, and the two event suppression structures. Buffers are used in the order they were taken, so
/// each used descriptor lands on the slot its chain started at.
/// </summary>
internal sealed unsafe class PackedVirtqueue : Virtqueue
{
    private const ushort FlagAvail = 1 << 7;
    private const ushort FlagUsed = 1 << 15;
    private const ushort EventEnable = 0;
    private const ushort EventDisable = 1;
    private const ushort EventDescriptor = 2;

    private readonly byte* _ring;
    private readonly ushort* _driverEvent;
    private readonly ushort* _deviceEvent;
    private readonly PendingUsed[] _pending;

    private ushort _nextAvail;
    private bool _availWrap;
    private ushort _nextUsed;
    private bool _usedWrap;
    private ushort _publishedUsed;
    private int _pendingCount;

    private PackedVirtqueue(GuestMemory memory, int size, bool indirect, bool eventIndex, byte* ring, byte* driverEvent, byte* deviceEvent, uint start)
        : base(memory, size, indirect, eventIndex)
    {
        // Invariant: the ring (16 * size bytes) and both 4-byte event structures were translated whole.
        _ring = ring;
        _driverEvent = (ushort*)driverEvent;
        _deviceEvent = (ushort*)deviceEvent;
        _pending = new PendingUsed[size];
        _nextAvail = (ushort)(start & 0x7FFF);
        _availWrap = (start & 0x8000) != 0;
        _nextUsed = _nextAvail;
        _usedWrap = _availWrap;
        _publishedUsed = _nextUsed;
    }

    internal override QueuePosition Position => new(_nextAvail, _availWrap, SegmentMark);

    /// <summary>
    /// Maps a packed ring (descriptor ring, driver area = driver event suppression, device area = device event
    /// suppression); <paramref name="start"/> is the base of <c>VHOST_USER_SET_VRING_BASE</c>: index in bits
    /// 0..14, wrap counter in bit 15. Null when an area is unmapped or misaligned or the start is out of range.
    /// </summary>
    internal static PackedVirtqueue? Create(GuestMemory memory, int size, ulong descriptors, ulong driverArea, ulong deviceArea, uint start, bool indirect, bool eventIndex)
    {
        if (size is <= 0 or > MaxSize || (start & 0x7FFF) >= (uint)size || start > 0xFFFF)
        {
            return null;
        }

        byte* d = MapRing(memory, descriptors, (ulong)size * DescriptorSize, 16);
        byte* drv = MapRing(memory, driverArea, 4, 4);
        byte* dev = MapRing(memory, deviceArea, 4, 4);
        return d == null || drv == null || dev == null ? null : new PackedVirtqueue(memory, size, indirect, eventIndex, d, drv, dev, start);
    }

    internal override bool TryTake(bool deviceWrites, out VirtqueueBuffer buffer)
    {
        buffer = default;
        if (Error != VirtqueueError.None)
        {
            return false;
        }

        // A1: acquire, pairs with the driver's release store of the head's flags: the rest of the chain is read after it.
        ushort headFlags = Volatile.Read(ref *(ushort*)(_ring + (_nextAvail * DescriptorSize) + 14));
        if (!IsAvailable(headFlags))
        {
            return false;
        }

        buffer = BeginBuffer();
        int slot = _nextAvail;
        bool wrap = _availWrap;
        int count = 0;
        ushort id;
        while (true)
        {
            if (++count > Size)
            {
                return Fail(VirtqueueError.ChainTooLong);
            }

            // The one copy of this descriptor: slot < Size always holds, so it lies inside the ring.
            PackedDescriptor d = Unsafe.ReadUnaligned<PackedDescriptor>(_ring + (slot * DescriptorSize));
            ushort flags = count == 1 ? headFlags : d.Flags;
            id = d.Id;
            if (++slot == Size)
            {
                slot = 0;
                wrap = !wrap;
            }

            VirtqueueError error = (flags & FlagIndirect) != 0
                ? (count != 1 || (flags & FlagNext) != 0 ? VirtqueueError.InvalidIndirect : WalkIndirect(d.Address, d.Length, deviceWrites, ref buffer))
                : AddSegment(d.Address, d.Length, flags, deviceWrites, ref buffer);
            if (error != VirtqueueError.None)
            {
                return Fail(error);
            }

            if ((flags & FlagNext) == 0 || (flags & FlagIndirect) != 0)
            {
                break;
            }
        }

        if (id >= Size)
        {
            return Fail(VirtqueueError.DescriptorIndexOutOfRange);
        }

        buffer.Id = id;
        buffer.SlotCount = (ushort)count;
        _nextAvail = (ushort)slot;
        _availWrap = wrap;
        return true;
    }

    internal override void Restore(QueuePosition position)
    {
        _nextAvail = position.Index;
        _availWrap = position.WrapCounter;
        RewindSegments(position.SegmentMark);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal override void AddUsed(in VirtqueueBuffer buffer, uint written)
    {
        byte* d = _ring + (_nextUsed * DescriptorSize);
        Unsafe.WriteUnaligned(d + 8, written);
        Unsafe.WriteUnaligned(d + 12, buffer.Id);
        ushort flags = _usedWrap ? (ushort)(FlagAvail | FlagUsed) : (ushort)0;
        if (written != 0)
        {
            flags |= FlagWrite;
        }

        _pending[_pendingCount++] = new PendingUsed((ushort)_nextUsed, flags);
        int next = _nextUsed + buffer.SlotCount;
        if (next >= Size)
        {
            next -= Size;
            _usedWrap = !_usedWrap;
        }

        _nextUsed = (ushort)next;
    }

    internal override void SetDriverNotifications(bool enabled)
    {
        Volatile.Write(ref _deviceEvent[1], enabled ? EventEnable : EventDisable);

        // Full: the store above before the caller's next look at the ring.
        Interlocked.MemoryBarrier();
    }

    internal override bool HasAvailable() =>
        Error == VirtqueueError.None && IsAvailable(Volatile.Read(ref *(ushort*)(_ring + (_nextAvail * DescriptorSize) + 14)));

    internal override int CountAvailable(int max) => HasAvailable() ? max : 0;

    /// <summary>
    /// Starts loading the ring slots the next <paramref name="count"/> buffers would start from (at one slot each,
    /// the common case), so that a burst waits for those cache misses together. A hint: the slots are read and
    /// checked again when taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Prefetch(int count)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int i = 0; i < count; i += 4)
        {
            // Four 16-byte descriptors per cache line. Invariant: the slot index is reduced modulo Size, inside the ring.
            Sse.Prefetch0(_ring + (((_nextAvail + i) % Size) * DescriptorSize));
        }
    }

    internal override uint GetBase() => _nextAvail | (_availWrap ? 0x8000u : 0u);

    protected override bool PublishUsed(bool checkNotify)
    {
        int count = _pendingCount;
        if (count == 0)
        {
            return false;
        }

        for (int i = 1; i < count; i++)
        {
            PendingUsed p = _pending[i];
            Volatile.Write(ref *(ushort*)(_ring + (p.Slot * DescriptorSize) + 14), p.Flags);
        }

        // R1: release, pairs with the driver's acquire load of the flags: every used descriptor of the batch is complete first.
        PendingUsed head = _pending[0];
        Volatile.Write(ref *(ushort*)(_ring + (head.Slot * DescriptorSize) + 14), head.Flags);
        _pendingCount = 0;
        ushort old = _publishedUsed;
        ushort next = _nextUsed;
        _publishedUsed = next;
        if (!checkNotify)
        {
            return false;
        }

        // Full: the flag stores above before the load of the driver's suppression state below.
        Interlocked.MemoryBarrier();
        ushort mode = Volatile.Read(ref _driverEvent[1]);
        if (mode == EventDisable)
        {
            return false;
        }

        if (mode != EventDescriptor || !EventIndexEnabled)
        {
            return true;
        }

        ushort offWrap = Volatile.Read(ref _driverEvent[0]);
        ushort eventOffset = (ushort)(offWrap & 0x7FFF);
        if (((offWrap & 0x8000) != 0) != _usedWrap)
        {
            eventOffset -= (ushort)Size;
        }

        if (next <= old)
        {
            old -= (ushort)Size;
        }

        return (ushort)(next - eventOffset - 1) < (ushort)(next - old);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAvailable(ushort flags) => ((flags & FlagAvail) != 0) == _availWrap && ((flags & FlagUsed) != 0) != _availWrap;

    private VirtqueueError WalkIndirect(ulong address, uint length, bool deviceWrites, ref VirtqueueBuffer buffer)
    {
        byte* table = MapIndirectTable(address, length, out int count, out VirtqueueError error);
        if (table == null)
        {
            return error;
        }

        for (int i = 0; i < count; i++)
        {
            // The one copy of this entry: i < count = length / 16, inside the translated table.
            PackedDescriptor d = Unsafe.ReadUnaligned<PackedDescriptor>(table + (i * DescriptorSize));
            if ((d.Flags & FlagIndirect) != 0)
            {
                return VirtqueueError.InvalidIndirect;
            }

            error = AddSegment(d.Address, d.Length, d.Flags, deviceWrites, ref buffer);
            if (error != VirtqueueError.None)
            {
                return error;
            }
        }

        return VirtqueueError.None;
    }

    private readonly record struct PendingUsed(ushort Slot, ushort Flags);

    [StructLayout(LayoutKind.Explicit, Size = 16)]
    private struct PackedDescriptor
    {
        [FieldOffset(0)]
        public ulong Address;

        [FieldOffset(8)]
        public uint Length;

        [FieldOffset(12)]
        public ushort Id;

        [FieldOffset(14)]
        public ushort Flags;
    }
}
