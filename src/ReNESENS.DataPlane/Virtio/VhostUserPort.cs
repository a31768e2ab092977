using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// One queue pair of a vhost-user virtio-net device as a packet port: <see cref="ReceiveBurst"/> takes what the
/// guest transmitted (its transmit virtqueue), <see cref="TransmitBurst"/> fills the guest's receive virtqueue.
/// The port outlives frontend connections: while no frontend has the pair running, both sides move nothing.
/// </summary>
/// <remarks>
/// One thread uses a port at a time (the data thread); the backend's control thread attaches and detaches the
/// queues under a lock-free handshake, so a frontend that stops a ring or disconnects never races a burst.
/// </remarks>
public sealed class VhostUserPort : IPacketPort
{
    private readonly BufferPool _pool;
    private readonly ILogger _logger;
    private readonly int _maxPacketLength;

    /// <summary>1 while the data thread is inside a burst: written by the data thread, read by the control thread while detaching.</summary>
    private int _busy;

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
        Volatile.Read(ref _descriptorErrors));

    /// <inheritdoc />
    public int ReceiveBurst(Span<PacketBuffer> packets)
    {
        Interlocked.Exchange(ref _busy, 1); // Full: pairs with Detach's store-then-load; the queue read below cannot pass it.
        try
        {
            Virtqueue? queue = Volatile.Read(ref _guestTransmit);
            return queue is null ? 0 : ReceiveFrom(queue, packets);
        }
        finally
        {
            Volatile.Write(ref _busy, 0); // Release: every access to guest memory above happens before the control thread may unmap it.
        }
    }

    /// <inheritdoc />
    public int TransmitBurst(ReadOnlySpan<PacketBuffer> packets)
    {
        Interlocked.Exchange(ref _busy, 1); // Full: pairs with Detach's store-then-load; the queue read below cannot pass it.
        try
        {
            Virtqueue? queue = Volatile.Read(ref _guestReceive);
            if (queue is null)
            {
                return 0;
            }

            int taken = TransmitTo(queue, packets);
            _transmitNoRoom += packets.Length - taken;
            return taken;
        }
        finally
        {
            Volatile.Write(ref _busy, 0); // Release: every access to guest memory above happens before the control thread may unmap it.
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
    internal void Attach(bool guestTransmit, Virtqueue queue)
    {
        if (guestTransmit)
        {
            Volatile.Write(ref _guestTransmit, queue); // Release: the queue's fields are visible before it is.
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

        // Full: the store above before the load of _busy below (Dekker with the burst's exchange-then-load).
        Interlocked.MemoryBarrier();
        var spin = default(SpinWait);
        while (Volatile.Read(ref _busy) != 0)
        {
            spin.SpinOnce();
        }
    }

    private unsafe int ReceiveFrom(Virtqueue queue, Span<PacketBuffer> packets)
    {
        int count = 0;
        int headerLength = _headerLength;
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        while (count < packets.Length)
        {
            queue.ResetSegments();
            QueuePosition position = queue.Position;
            if (!queue.TryTake(deviceWrites: false, out VirtqueueBuffer buffer))
            {
                break;
            }

            if (!_pool.TryRent(out PacketBuffer? packet))
            {
                // No memory to hold it: leave it in the guest's ring for the next burst.
                queue.Restore(position);
                _receiveDrops++;
                break;
            }

            var cursor = new SegmentCursor(queue.GetSegments(buffer));
            long length = buffer.Length - headerLength;
            if (length < 0 || length > _maxPacketLength || cursor.Read(header[..headerLength]) != headerLength || !TryCopyIn(ref cursor, packet, (int)length))
            {
                packet.Release();
                _receiveDrops++;
            }
            else if (VirtioNetHeader.Read(header[..headerLength]).TryApplyTo(packet) != VirtioNetHeaderError.None)
            {
                packet.Release();
                _receiveDrops++;
            }
            else
            {
                packets[count++] = packet;
                _receivedPackets++;
                _receivedBytes += length;
            }

            queue.AddUsed(buffer, 0);
        }

        queue.Flush();
        if (queue.Error != VirtqueueError.None && _failedTransmit != queue)
        {
            _failedTransmit = queue;
            OnQueueError(2 * QueuePair + 1, queue.Error);
        }

        return count;
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

    private int TransmitTo(Virtqueue queue, ReadOnlySpan<PacketBuffer> packets)
    {
        int taken = 0;
        int headerLength = _headerLength;
        bool mergeable = _mergeable;
        VirtqueueBuffer[] chains = _chains;
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        for (; taken < packets.Length; taken++)
        {
            PacketBuffer packet = packets[taken];
            long need = (long)headerLength + packet.PacketLength;
            queue.ResetSegments();
            QueuePosition position = queue.Position;
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

                if (!queue.TryTake(deviceWrites: true, out chains[chainCount]))
                {
                    queue.Restore(position);
                    goto Done;
                }

                room += chains[chainCount++].Length;
            }

            if (!fits)
            {
                // Larger than what the guest offers for one packet: drop it, give the buffers back.
                queue.Restore(position);
                packet.Release();
                _transmitDrops++;
                continue;
            }

            VirtioNetHeader.FromPacket(packet, (ushort)(mergeable ? chainCount : 1)).Write(header[..headerLength]);
            var cursor = new SegmentCursor(SpanOfChains(queue, chains, chainCount));
            cursor.Write(header[..headerLength]);
            foreach (PacketBuffer segment in packet.Segments)
            {
                cursor.Write(segment.Data);
            }

            long left = need;
            for (int i = 0; i < chainCount; i++)
            {
                long written = Math.Min(left, chains[i].Length);
                queue.AddUsed(chains[i], (uint)written);
                left -= written;
            }

            _transmittedPackets++;
            _transmittedBytes += packet.PacketLength;
            packet.Release();
        }

    Done:
        queue.Flush();
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
}
