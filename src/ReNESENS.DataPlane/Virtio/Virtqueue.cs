using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// The device side of one virtqueue over guest memory (VIRTIO 1.2 sections 2.7 and 2.8). Buffers are taken
/// in ring order, every descriptor copied once and checked against the memory table before its bytes are
/// touched, and completed in the same order. A driver error stops the queue for good (<see cref="Error"/>).
/// One thread uses a queue at a time.
/// </summary>
internal abstract unsafe class Virtqueue
{
    /// <summary>Largest queue size VIRTIO allows.</summary>
    internal const int MaxSize = 32768;

    /// <summary><c>VIRTQ_DESC_F_NEXT</c>.</summary>
    protected const ushort FlagNext = 1;

    /// <summary><c>VIRTQ_DESC_F_WRITE</c>: device-writable.</summary>
    protected const ushort FlagWrite = 2;

    /// <summary><c>VIRTQ_DESC_F_INDIRECT</c>.</summary>
    protected const ushort FlagIndirect = 4;

    /// <summary>Size of one descriptor (split and packed alike).</summary>
    protected const int DescriptorSize = 16;

    private readonly BufferSegment[] _segments;
    private int _segmentCount;

    protected Virtqueue(GuestMemory memory, int size, bool indirect, bool eventIndex)
    {
        Memory = memory;
        Size = size;
        IndirectEnabled = indirect;
        EventIndexEnabled = eventIndex;

        // Room for two maximal chains: a mergeable packet takes chains while at least one more fits.
        _segments = new BufferSegment[2 * size];
    }

    /// <summary>Number of descriptors in the ring.</summary>
    internal int Size { get; }

    /// <summary>Whether <c>VIRTIO_RING_F_INDIRECT_DESC</c> was negotiated.</summary>
    internal bool IndirectEnabled { get; }

    /// <summary>Whether <c>VIRTIO_RING_F_EVENT_IDX</c> was negotiated.</summary>
    internal bool EventIndexEnabled { get; }

    /// <summary>Why the queue stopped; <see cref="VirtqueueError.None"/> while it works. Written by the thread that uses the queue.</summary>
    internal VirtqueueError Error { get; private set; }

    /// <summary>The eventfd the device signals to interrupt the driver (vhost-user call), or null.</summary>
    internal EventFd? Call { get; set; }

    /// <summary>The eventfd signalled when the queue stops on a driver error (vhost-user err), or null.</summary>
    internal EventFd? ErrorNotifier { get; set; }

    /// <summary>Whether another whole chain fits in the segment array of the buffers taken since <see cref="ResetSegments"/>.</summary>
    internal bool CanTakeChain => _segments.Length - _segmentCount >= Size;

    /// <summary>The guest memory the rings and buffers live in.</summary>
    protected GuestMemory Memory { get; }

    /// <summary>Where the next buffer will be taken from; restore it with <see cref="Restore"/> to put buffers back.</summary>
    internal abstract QueuePosition Position { get; }

    /// <summary>
    /// Takes the next available buffer: every descriptor checked (inside guest memory, direction, chain
    /// length, indirect rules). False when none is available or the queue has stopped (see <see cref="Error"/>).
    /// </summary>
    /// <param name="deviceWrites">True for a buffer the device fills (receive queue), false for one it reads.</param>
    /// <param name="buffer">The buffer: its segments are <see cref="GetSegments"/>.</param>
    internal abstract bool TryTake(bool deviceWrites, out VirtqueueBuffer buffer);

    /// <summary>Puts back the buffers taken since <paramref name="position"/> (none of them completed yet).</summary>
    internal abstract void Restore(QueuePosition position);

    /// <summary>Records a buffer as used with <paramref name="written"/> bytes; visible to the driver after <see cref="Flush"/>.</summary>
    internal abstract void AddUsed(in VirtqueueBuffer buffer, uint written);

    /// <summary>Asks the driver to kick (event mode) or not to (polling mode).</summary>
    internal abstract void SetDriverNotifications(bool enabled);

    /// <summary>Whether a buffer is available, without taking it (a fresh read of the ring).</summary>
    internal abstract bool HasAvailable();

    /// <summary>
    /// How many buffers a burst of up to <paramref name="max"/> may take, without taking them: exact for a split ring
    /// (its available index says), an upper bound for a packed ring (<paramref name="max"/> once its next buffer is
    /// available, since chain lengths are only known by walking them). 0 when none is available or the queue has stopped.
    /// </summary>
    internal abstract int CountAvailable(int max);

    /// <summary>The ring state for <c>VHOST_USER_GET_VRING_BASE</c>.</summary>
    internal abstract uint GetBase();

    /// <summary>Publishes the used buffers; returns whether the driver asked to be interrupted.</summary>
    /// <param name="checkNotify">False to skip reading the driver's suppression state (no call eventfd).</param>
    protected abstract bool PublishUsed(bool checkNotify);

    /// <summary>Publishes used buffers and interrupts the driver when it asked for it.</summary>
    internal void Flush()
    {
        EventFd? call = Call;
        if (PublishUsed(call is not null) && call is not null)
        {
            call.Signal();
        }
    }

    /// <summary>Forgets the segments of buffers already processed (call before each packet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ResetSegments() => _segmentCount = 0;

    /// <summary>The checked segments of a buffer taken since the last <see cref="ResetSegments"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ReadOnlySpan<BufferSegment> GetSegments(scoped in VirtqueueBuffer buffer) => _segments.AsSpan(buffer.SegmentStart, buffer.SegmentCount);

    /// <summary>Stops the queue for good and signals the error eventfd.</summary>
    internal bool Fail(VirtqueueError error)
    {
        if (Error == VirtqueueError.None)
        {
            Error = error;
            ErrorNotifier?.Signal();
        }

        return false;
    }

    /// <summary>Segment count, to rewind to in <see cref="Restore"/>.</summary>
    protected int SegmentMark => _segmentCount;

    /// <summary>Rewinds the segment array.</summary>
    protected void RewindSegments(int mark) => _segmentCount = mark;

    /// <summary>Checks one direct descriptor and appends its segment to <paramref name="buffer"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected VirtqueueError AddSegment(ulong address, uint length, ushort flags, bool deviceWrites, ref VirtqueueBuffer buffer)
    {
        if (((flags & FlagWrite) != 0) != deviceWrites)
        {
            return VirtqueueError.WrongDirection;
        }

        if (length == 0)
        {
            return VirtqueueError.None;
        }

        byte* p = Memory.TranslateGuest(address, length);
        if (p == null)
        {
            return VirtqueueError.DescriptorOutOfRange;
        }

        if (_segmentCount == _segments.Length || buffer.SegmentCount == Size)
        {
            return VirtqueueError.ChainTooLong;
        }

        _segments[_segmentCount++] = new BufferSegment(p, length);
        buffer.SegmentCount++;
        buffer.Length += length;
        return VirtqueueError.None;
    }

    /// <summary>Starts a buffer at the current end of the segment array.</summary>
    protected VirtqueueBuffer BeginBuffer() => new() { SegmentStart = _segmentCount };

    /// <summary>Checks an indirect descriptor's table and returns where it lies, or null (the error in <paramref name="error"/>).</summary>
    protected byte* MapIndirectTable(ulong address, uint length, out int count, out VirtqueueError error)
    {
        count = 0;
        if (!IndirectEnabled || length == 0 || length % DescriptorSize != 0 || length / DescriptorSize > (uint)Size)
        {
            error = VirtqueueError.InvalidIndirect;
            return null;
        }

        byte* table = Memory.TranslateGuest(address, length);
        if (table == null)
        {
            error = VirtqueueError.DescriptorOutOfRange;
            return null;
        }

        count = (int)(length / DescriptorSize);
        error = VirtqueueError.None;
        return table;
    }

    /// <summary>Whether a range of the frontend's address space is mapped and aligned.</summary>
    protected static byte* MapRing(GuestMemory memory, ulong userAddress, ulong length, uint alignment) =>
        userAddress % alignment != 0 ? null : memory.TranslateUser(userAddress, length);
}
