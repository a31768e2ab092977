using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.Extensions.Logging;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// One queue pair of a vhost-user virtio-net device as a packet port: <see cref="ReceiveBurst"/> takes what the
/// guest transmitted (its transmit virtqueue), <see cref="TransmitBurst"/> fills the guest's receive virtqueue.
/// The port outlives frontend connections: while no frontend has the pair running, both sides move nothing.
/// </summary>
/// <remarks>
/// <para>One thread uses a port at a time (the data thread); the backend's control thread attaches and detaches the
/// queues under a lock-free handshake, so a frontend that stops a ring or disconnects never races a burst.</para>
/// <para>Event mode: <see cref="ReceiveReadyDescriptor"/> is an epoll set that holds the guest transmit ring's kick
/// eventfd while a frontend has it running. <see cref="PrepareToWait"/> asks the driver to kick (event index or
/// flags, as negotiated), <see cref="EndWait"/> consumes the kick and asks it to stop again, so a busy guest does
/// not pay a kick per packet while the data thread is awake.</para>
/// </remarks>
public sealed class VhostUserPort : IWaitablePort
{
    /// <summary>Buffers taken from the guest's transmit ring per step of a receive burst.</summary>
    private const int MaxBurst = 64;

    private readonly BufferPool _pool;
    private readonly ILogger _logger;
    private readonly int _maxPacketLength;

    /// <summary>The receive descriptor of event mode; its member is <see cref="_kick"/> while attached.</summary>
    private readonly EpollSet _waitSet = EpollSet.Create();

    /// <summary>1 while the data thread is inside a burst: written by the data thread, read by the control thread while detaching.</summary>
    private int _busy;

    /// <summary>The guest transmit ring's kick eventfd (owned by the backend); written by the control thread before it attaches the queue and after it detached it.</summary>
    private EventFd? _kick;

    /// <summary>The guest's transmit queue (vring 2n+1); written by the control thread only.</summary>
    private Virtqueue? _guestTransmit;

    /// <summary>The guest's receive queue (vring 2n); written by the control thread only.</summary>
    private Virtqueue? _guestReceive;

    /// <summary>Negotiated shape of the pair; written by the control thread before it attaches a queue.</summary>
    private int _headerLength = VirtioNetHeader.Size;
    private bool _mergeable;
    private PortOffloads _offloads;
    private VirtqueueBuffer[] _chains = [];

    // Counters: written by the data thread only; read (torn reads impossible on 64-bit) by anyone.
    private long _receivedPackets;
    private long _receivedBytes;
    private long _receiveDrops;
    private long _transmittedPackets;
    private long _transmittedBytes;
    private long _transmitDrops;
    private long _transmitNoRoom;
    private long _descriptorErrors;
    private long _wakeups;
    private Virtqueue? _failedTransmit;
    private Virtqueue? _failedReceive;

    internal VhostUserPort(string name, int queuePair, BufferPool pool, int maxPacketLength, ILogger logger)
    {
        Name = name;
        QueuePair = queuePair;
        _pool = pool;
        _maxPacketLength = maxPacketLength;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The queue pair number: vrings <c>2n</c> (guest receive) and <c>2n + 1</c> (guest transmit).</summary>
    public int QueuePair { get; }

    /// <inheritdoc />
    public PortOffloads TransmitOffloads => Volatile.Read(ref _guestReceive) is null ? PortOffloads.None : _offloads;

    /// <summary>True while the frontend has both queues of the pair running.</summary>
    public bool IsRunning => Volatile.Read(ref _guestReceive) is not null && Volatile.Read(ref _guestTransmit) is not null;

    /// <summary>A snapshot of the counters.</summary>
    public VhostUserPortStatistics GetStatistics() => new(
        Volatile.Read(ref _receivedPackets),
        Volatile.Read(ref _receivedBytes),
        Volatile.Read(ref _receiveDrops),
        Volatile.Read(ref _transmittedPackets),
        Volatile.Read(ref _transmittedBytes),
        Volatile.Read(ref _transmitDrops),
        Volatile.Read(ref _transmitNoRoom),
        Volatile.Read(ref _descriptorErrors),
        Volatile.Read(ref _wakeups));

    /// <inheritdoc />
    public SafeFdHandle ReceiveReadyDescriptor => _waitSet.Handle;

    /// <inheritdoc />
    /// <remarks>False (poll again) when the frontend gave no kick eventfd: such a ring can only be polled.</remarks>
    public bool PrepareToWait()
    {
        Volatile.Write(ref _busy, 1); // B1, as in ReceiveBurst.
        try
        {
            Virtqueue? queue = Volatile.Read(ref _guestTransmit);
            if (queue is null)
            {
                // Nothing to receive until a frontend starts the ring; the wait's timeout brings the caller back.
                return true;
            }

            if (_kick is null)
            {
                return false;
            }

            // Includes the full fence between the suppression store and the fresh read of the ring below.
            queue.SetDriverNotifications(true);
            return !queue.HasAvailable();
        }
        finally
        {
            Volatile.Write(ref _busy, 0); // B2.
        }
    }

    /// <inheritdoc />
    public void EndWait()
    {
        Volatile.Write(ref _busy, 1); // B1.
        try
        {
            Virtqueue? queue = Volatile.Read(ref _guestTransmit);
            if (queue is null || _kick is null)
            {
                return;
            }

            // A kick that lands between these two lines only makes the next wait return at once.
            if (_kick.TryReadReady(out _))
            {
                _wakeups++;
            }

            queue.SetDriverNotifications(false);
        }
        finally
        {
            Volatile.Write(ref _busy, 0); // B2.
        }
    }

    /// <inheritdoc />
    public int ReceiveBurst(Span<PacketBuffer> packets)
    {
        // B1: a plain store on x86, no fence: Detach's process-wide barrier (D2) orders it before the queue load
        // below, or orders the load after Detach's null store. Both accesses are volatile, so the JIT keeps their order.
        Volatile.Write(ref _busy, 1);
        try
        {
            Virtqueue? queue = Volatile.Read(ref _guestTransmit);
            return queue switch
            {
                null => 0,
                SplitVirtqueue split => ReceiveFrom(new SplitAccess(split), packets),
                _ => ReceiveFrom(new PackedAccess((PackedVirtqueue)queue), packets),
            };
        }
        finally
        {
            Volatile.Write(ref _busy, 0); // B2: release: every access to guest memory above happens before the control thread may unmap it.
        }
    }

    /// <inheritdoc />
    public int TransmitBurst(ReadOnlySpan<PacketBuffer> packets)
    {
        Volatile.Write(ref _busy, 1); // B1, as in ReceiveBurst.
        try
        {
            Virtqueue? queue = Volatile.Read(ref _guestReceive);
            if (queue is null)
            {
                return 0;
            }

            int taken = queue is SplitVirtqueue split
                ? TransmitTo(new SplitAccess(split), packets)
                : TransmitTo(new PackedAccess((PackedVirtqueue)queue), packets);
            _transmitNoRoom += packets.Length - taken;
            return taken;
        }
        finally
        {
            Volatile.Write(ref _busy, 0); // B2, as in ReceiveBurst.
        }
    }

    /// <summary>Whether a queue of the pair stopped on a driver error since the pair was last reset.</summary>
    internal bool HasQueueError => Volatile.Read(ref _failedTransmit) is not null || Volatile.Read(ref _failedReceive) is not null;

    /// <summary>Forgets stopped queues; called by the control thread with both queues detached.</summary>
    internal void ClearQueueErrors()
    {
        _failedTransmit = null;
        _failedReceive = null;
    }

    /// <summary>Sets the negotiated shape; called by the control thread while both queues are detached.</summary>
    internal void Configure(int headerLength, bool mergeable, PortOffloads offloads, int queueSize)
    {
        _headerLength = headerLength;
        _mergeable = mergeable;
        _offloads = offloads;
        if (_chains.Length < queueSize)
        {
            _chains = new VirtqueueBuffer[queueSize];
        }
    }

    /// <summary>Starts serving a queue of this pair (control thread).</summary>
    /// <param name="guestTransmit">The guest transmit ring (else the guest receive ring).</param>
    /// <param name="queue">The running queue.</param>
    /// <param name="kick">The guest transmit ring's kick eventfd, waited on in event mode; null without one. The backend owns it and closes it only after <see cref="Detach"/>.</param>
    internal void Attach(bool guestTransmit, Virtqueue queue, EventFd? kick = null)
    {
        if (guestTransmit)
        {
            if (kick is not null)
            {
                _waitSet.Add(kick.Handle);
            }

            _kick = kick;
            Volatile.Write(ref _guestTransmit, queue); // Release: the queue's fields and _kick are visible before it is.
        }
        else
        {
            Volatile.Write(ref _guestReceive, queue); // Release: the queue's fields are visible before it is.
        }
    }

    /// <summary>Stops serving a queue of this pair and waits until no burst uses it (control thread).</summary>
    internal void Detach(bool guestTransmit)
    {
        if (guestTransmit)
        {
            Volatile.Write(ref _guestTransmit, null);
        }
        else
        {
            Volatile.Write(ref _guestReceive, null);
        }

        // D2: every thread of the process runs a full barrier (membarrier): the data thread's B1 is visible to the
        // load of _busy below, or its load of the queue comes after our null store. An asymmetric Dekker handshake:
        // the data thread pays two plain stores per burst, the control thread one system call per detach.
        Interlocked.MemoryBarrierProcessWide();
        var spin = default(SpinWait);
        while (Volatile.Read(ref _busy) != 0) // Pairs with B2.
        {
            spin.SpinOnce();
        }

        if (guestTransmit && _kick is not null)
        {
            // No data thread uses the kick any more; out of the set before the backend closes it.
            _waitSet.Remove(_kick.Handle);
            _kick = null;
        }
    }

    /// <summary>Closes the receive descriptor; the backend calls it when it is disposed, with every queue detached.</summary>
    internal void CloseWaitSet() => _waitSet.Dispose();

    private int ReceiveFrom<TQueue>(TQueue ring, Span<PacketBuffer> packets)
        where TQueue : struct, IVirtqueueAccess
    {
        Virtqueue queue = ring.Queue;
        int count = 0;
        while (count < packets.Length)
        {
            int got = ReceiveChunk(ring, packets[count..], out bool more);
            count += got;
            if (!more)
            {
                break;
            }
        }

        queue.Flush();
        if (queue.Error != VirtqueueError.None && _failedTransmit != queue)
        {
            _failedTransmit = queue;
            OnQueueError(2 * QueuePair + 1, queue.Error);
        }

        return count;
    }

    /// <summary>
    /// Rents packet buffers for up to <see cref="MaxBurst"/> of the available guest buffers in one go, then takes,
    /// copies out and completes each guest buffer in one pass (its segments are not needed past its copy, so the
    /// segment array restarts per buffer). Returns the packets stored from the start of <paramref name="packets"/>;
    /// <paramref name="more"/> when the chunk was full and the ring may hold more.
    /// </summary>
    private int ReceiveChunk<TQueue>(TQueue ring, Span<PacketBuffer> packets, out bool more)
        where TQueue : struct, IVirtqueueAccess
    {
        more = false;
        int want = ring.CountAvailable(Math.Min(packets.Length, MaxBurst));
        if (want == 0)
        {
            return 0;
        }

        ring.Prefetch(want); // The guest's lines load while the buffers are rented.
        int rented = _pool.TryRentBurst(packets[..want]);
        if (rented < want)
        {
            // No memory to hold the rest: they stay in the guest's ring for the next burst.
            _receiveDrops++;
        }

        Virtqueue queue = ring.Queue;
        int headerLength = _headerLength;
        int count = 0;
        long bytes = 0;
        int taken = 0;
        for (; taken < rented; taken++)
        {
            queue.ResetSegments();
            if (!ring.TryTake(deviceWrites: false, out VirtqueueBuffer buffer))
            {
                break;
            }

            PacketBuffer packet = packets[taken];
            long length = buffer.Length - headerLength;
            if (length >= 0 && length <= _maxPacketLength && CopyIn(queue.GetSegments(buffer), packet, headerLength, (int)length))
            {
                if (count != taken)
                {
                    packets[count] = packet;
                }

                count++;
                bytes += length;
            }
            else
            {
                packet.Release();
                _receiveDrops++;
            }

            ring.AddUsed(buffer, 0);
        }

        if (taken < rented)
        {
            // The ring held fewer than counted (a packed ring's bound) or stopped: the spare buffers go back.
            PacketBuffer.ReleaseBurst(packets[taken..rented]);
        }

        more = taken == MaxBurst && rented == want;
        _receivedPackets += count;
        _receivedBytes += bytes;
        return count;
    }

    /// <summary>Copies one packet out of its checked segments and applies its header: false to drop it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool CopyIn(ReadOnlySpan<BufferSegment> segments, PacketBuffer packet, int headerLength, int length)
    {
        // The header is copied once into this local, checked and applied from the copy only.
        HeaderBytes header = default;
        BufferSegment first = segments[0];
        if (segments.Length == 1 && length <= packet.Tailroom)
        {
            // One descriptor with the header in front, as drivers lay out small packets: the header's first ten
            // bytes (all but num_buffers, which a transmitted packet does not use) in two loads, then the frame.
            // Invariant: the segment was translated whole and its length is headerLength + length >= 10.
            header.Low = Unsafe.ReadUnaligned<ulong>(first.Pointer);
            header.High = Unsafe.ReadUnaligned<ushort>(first.Pointer + 8);
            CopyFrame(first.Pointer + headerLength, packet.AppendToFresh(length));
        }
        else
        {
            var cursor = new SegmentCursor(segments);
            if (cursor.Read(header.AsSpan()[..headerLength]) != headerLength || !TryCopyIn(ref cursor, packet, length))
            {
                return false;
            }
        }

        // No flags, no segmentation, no checksum fields: a fresh buffer's metadata already says so (the common header).
        if ((header.Low | (ushort)header.High) == 0)
        {
            return true;
        }

        return VirtioNetHeader.Read(header.AsSpan()[..headerLength]).TryApplyTo(packet) == VirtioNetHeaderError.None;
    }

    /// <summary>
    /// Copies a frame out of guest memory into <paramref name="into"/>: one of 32 to 64 bytes (minimum-size Ethernet
    /// frames, what packet-rate traffic carries) with two overlapping vector moves instead of a call to the general copy.
    /// </summary>
    /// <param name="source">The frame in guest memory: <paramref name="into"/>.Length readable bytes.</param>
    /// <param name="into">Where it goes: the packet's newly appended data.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyFrame(byte* source, Span<byte> into)
    {
        int n = into.Length;
        if (Vector256.IsHardwareAccelerated && n is >= 32 and <= 64)
        {
            // Invariant: source holds n >= 32 readable bytes, so [0, 32) and [n - 32, n) both lie inside it (and inside into).
            Vector256<byte> head = Vector256.Load(source);
            Vector256<byte> tail = Vector256.Load(source + n - 32);
            ref byte to = ref MemoryMarshal.GetReference(into);
            head.StoreUnsafe(ref to);
            tail.StoreUnsafe(ref to, (nuint)(n - 32));
            return;
        }

        new ReadOnlySpan<byte>(source, n).CopyTo(into);
    }

    private bool TryCopyIn(ref SegmentCursor cursor, PacketBuffer head, int length)
    {
        PacketBuffer last = head;
        while (length > 0)
        {
            int room = last.Tailroom;
            if (room == 0)
            {
                if (!_pool.TryRent(out PacketBuffer? next))
                {
                    return false;
                }

                head.Chain(next);
                last = next;
                continue;
            }

            int n = Math.Min(room, length);
            Span<byte> into = head.Append(n);
            if (cursor.Read(into) != n)
            {
                return false;
            }

            length -= n;
        }

        return true;
    }

    private unsafe int TransmitTo<TQueue>(TQueue ring, ReadOnlySpan<PacketBuffer> packets)
        where TQueue : struct, IVirtqueueAccess
    {
        Virtqueue queue = ring.Queue;
        int taken = 0;
        int released = 0;
        int headerLength = _headerLength;
        bool mergeable = _mergeable;
        VirtqueueBuffer[] chains = _chains;
        HeaderBytes header = default;
        Span<byte> headerSpan = header.AsSpan()[..headerLength];
        long bytes = 0;
        int sent = 0;
        for (; taken < packets.Length; taken++)
        {
            PacketBuffer packet = packets[taken];
            long need = (long)headerLength + packet.PacketLength;
            queue.ResetSegments();
            QueuePosition position = ring.Position;
            int chainCount = 0;
            long room = 0;
            bool fits = true;
            while (room < need)
            {
                if (chainCount > 0 && (!mergeable || !queue.CanTakeChain || chainCount == chains.Length))
                {
                    fits = false;
                    break;
                }

                if (!ring.TryTake(deviceWrites: true, out chains[chainCount]))
                {
                    ring.Restore(position);
                    goto Done;
                }

                room += chains[chainCount++].Length;
            }

            if (!fits)
            {
                // Larger than what the guest offers for one packet: drop it, give the buffers back.
                ring.Restore(position);
                PacketBuffer.ReleaseBurst(packets[released..taken]);
                packet.Release();
                released = taken + 1;
                _transmitDrops++;
                continue;
            }

            ushort numBuffers = (ushort)(mergeable ? chainCount : 1);
            if (packet.ChecksumState == ChecksumState.None && packet.GsoType == GsoType.None)
            {
                // No offload metadata: all zero but num_buffers (bytes 10-11, past a legacy header's end).
                header.Low = 0;
                header.High = (uint)numBuffers << 16;
            }
            else
            {
                VirtioNetHeader.FromPacket(packet, numBuffers).Write(headerSpan);
            }

            ReadOnlySpan<BufferSegment> segments = SpanOfChains(queue, chains, chainCount);
            if (segments.Length == 1 && packet.Next is null)
            {
                // One guest buffer, one packet segment: two straight copies.
                // Invariant: the segment was translated whole and holds room >= need bytes.
                byte* into = segments[0].Pointer;
                Unsafe.WriteUnaligned(into, header.Low);
                if (headerLength == VirtioNetHeader.Size)
                {
                    Unsafe.WriteUnaligned(into + 8, header.High);
                }
                else
                {
                    Unsafe.WriteUnaligned(into + 8, (ushort)header.High);
                }

                packet.Data.CopyTo(new Span<byte>(into + headerLength, packet.DataLength));
            }
            else
            {
                var cursor = new SegmentCursor(segments);
                cursor.Write(headerSpan);
                foreach (PacketBuffer segment in packet.Segments)
                {
                    cursor.Write(segment.Data);
                }
            }

            long left = need;
            for (int i = 0; i < chainCount; i++)
            {
                long written = Math.Min(left, chains[i].Length);
                ring.AddUsed(chains[i], (uint)written);
                left -= written;
            }

            bytes += packet.PacketLength;
            sent++;
        }

    Done:
        queue.Flush();
        _transmittedPackets += sent;
        _transmittedBytes += bytes;
        PacketBuffer.ReleaseBurst(packets[released..taken]);
        if (queue.Error != VirtqueueError.None && _failedReceive != queue)
        {
            _failedReceive = queue;
            OnQueueError(2 * QueuePair, queue.Error);
        }

        return taken;
    }

    /// <summary>The segments of the chains taken for one packet: consecutive in the queue's array, as each packet starts from <see cref="Virtqueue.ResetSegments"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<BufferSegment> SpanOfChains(Virtqueue queue, VirtqueueBuffer[] chains, int count)
    {
        VirtqueueBuffer last = chains[count - 1];
        var all = new VirtqueueBuffer
        {
            SegmentStart = chains[0].SegmentStart,
            SegmentCount = last.SegmentStart + last.SegmentCount - chains[0].SegmentStart,
        };
        return queue.GetSegments(all);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnQueueError(int vring, VirtqueueError error)
    {
        _descriptorErrors++;
        VhostUserLog.QueueStopped(_logger, Name, vring, error);
    }

    /// <summary>A virtio-net header's bytes in a local (the one copy of a header read from guest memory), little-endian.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1, Size = VirtioNetHeader.Size)]
    private struct HeaderBytes
    {
        /// <summary>Bytes 0-7: flags, gso_type, hdr_len, gso_size, csum_start.</summary>
        public ulong Low;

        /// <summary>Bytes 8-11: csum_offset, num_buffers.</summary>
        public uint High;

        /// <summary>The twelve bytes.</summary>
        [UnscopedRef]
        public Span<byte> AsSpan() => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref this, 1));
    }
}
