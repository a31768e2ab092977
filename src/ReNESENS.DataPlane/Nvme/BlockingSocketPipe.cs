using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The byte streams of one connection served by one thread with blocking socket calls, the way
/// an SPDK poller owns its sockets: received bytes go from the socket into a <see cref="Pipe"/>'s
/// pooled segments and are read back on the same thread; replies are written into a second pipe
/// and sent from it. No continuation, no thread hop and no epoll round between the kernel waking
/// the thread and the PDUs being handled.
/// </summary>
/// <remarks>
/// Both pipes have inline schedulers and no pause threshold, so their flushes complete at once.
/// The socket must be used only synchronously (an asynchronous call would switch it to
/// non-blocking mode for good); another thread ends a blocked call by shutting the socket down, or
/// interrupts a wake-up-able <see cref="Receive(bool, out ReadOnlySequence{byte})"/> with <see cref="WakeUp"/>.
/// <para>Large payloads skip the pipes, as SPDK's TCP transport does: once a PDU header is parsed, its payload is
/// received straight into its destination (<see cref="ReceiveInPlace"/>, <see cref="TryReceiveInPlace"/>), and
/// a payload that lives in a <see cref="DmaRegion"/> is sent from there (<see cref="AppendInPlace"/>) in one
/// gathering <c>sendmsg</c> with the headers around it.</para>
/// </remarks>
internal sealed unsafe class BlockingSocketPipe : IBufferWriter<byte>, IDisposable
{
    /// <summary>Free room asked of the receive pipe before each socket read: room for a whole batch of 4 KiB reads' C2HData in one read.</summary>
    private const int MinimumRead = 160 * 1024;

    /// <summary>
    /// Most bytes of the socket read that follows a payload received in place: enough for the next PDU's header
    /// (and a batch of short PDUs), little of the next large payload, which is then received in place too rather
    /// than through the pipe.
    /// </summary>
    private const int ReadAfterInPlace = 1024;

    /// <summary>Gather elements per <c>sendmsg</c>, on the stack.</summary>
    private const int GatherBatch = 256;

    private readonly Socket _socket;
    private readonly Pipe _received = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
    private readonly Pipe _replies = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));

    /// <summary>Signalled by <see cref="WakeUp"/> (any thread); drained by the connection thread. Null when made without wake-ups.</summary>
    private readonly EventFd? _wake;

    /// <summary>A read of <see cref="_received"/> is open (the last <see cref="Receive(bool, out ReadOnlySequence{byte})"/> returned bytes).</summary>
    private bool _reading;

    /// <summary>The last payload bytes came in place: the next pipe read is at most <see cref="ReadAfterInPlace"/>.</summary>
    private bool _readShort;

    /// <summary>Bytes written to <see cref="Output"/> since the last <see cref="SendReplies"/>: where the next in-place payload goes.</summary>
    private long _written;

    /// <summary>Payloads to send from their regions, in stream order; the first <see cref="_inPlaceCount"/> hold a mapping reference each.</summary>
    private InPlaceSend[] _inPlace = new InPlaceSend[64];

    private int _inPlaceCount;

    /// <param name="socket">The connected socket; this pipe makes it blocking.</param>
    /// <param name="withWakeUp">Whether <see cref="WakeUp"/> may interrupt a <see cref="Receive(bool, out ReadOnlySequence{byte})"/> (an eventfd is kept for it).</param>
    public BlockingSocketPipe(Socket socket, bool withWakeUp = false)
    {
        _wake = withWakeUp ? EventFd.Create() : null;
        _socket = socket;
        _socket.Blocking = true;
    }

    /// <summary>Where replies are written; <see cref="SendReplies"/> sends them.</summary>
    public IBufferWriter<byte> Output => this;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        _replies.Writer.Advance(count);
        _written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => _replies.Writer.GetMemory(sizeHint);

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => _replies.Writer.GetSpan(sizeHint);

    /// <summary>
    /// Queues <paramref name="length"/> bytes of <paramref name="region"/> at <paramref name="offset"/> to be sent in
    /// place, after every byte written to <see cref="Output"/> so far and before any written later. The region stays
    /// mapped until <see cref="SendReplies"/> has sent them (or this pipe is disposed), even when it is disposed meanwhile.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the region.</exception>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    public void AppendInPlace(DmaRegion region, long offset, int length)
    {
        region.CheckRange(offset, length);
        if (_inPlaceCount == _inPlace.Length)
        {
            // Grows once to the largest batch seen (reads of many C2HData PDUs each), then stays.
            Array.Resize(ref _inPlace, _inPlace.Length * 2);
        }

        region.AddMappingReference();

        // Invariant: CheckRange proved the range inside the mapping, and the reference just taken keeps it mapped
        // until ReleaseInPlace, which runs after the send (or at Dispose).
        _inPlace[_inPlaceCount++] = new InPlaceSend(_written, region, (nint)(region.Pointer + offset), length);
    }

    /// <summary>
    /// Blocks until the socket delivers more bytes (or, when <paramref name="wakeable"/>, until
    /// <see cref="WakeUp"/> is called), then returns every byte not consumed yet. False when the peer
    /// closed its side (or the socket was shut down): <paramref name="buffer"/> then holds what was
    /// left unconsumed.
    /// </summary>
    /// <remarks>
    /// A wake-up-able receive polls the socket and the wake-up eventfd first: one more system call,
    /// which only admin queues pay (they carry Keep Alive and events, not I/O).
    /// </remarks>
    public bool Receive(bool wakeable, out ReadOnlySequence<byte> buffer)
    {
        if (wakeable && _wake is not null && !WaitForBytesOrWakeUp(_wake))
        {
            _reading = _received.Reader.TryRead(out ReadResult pending);
            buffer = _reading ? pending.Buffer : default;
            return true;
        }

        Span<byte> memory = _received.Writer.GetMemory(MinimumRead).Span;
        if (_readShort)
        {
            _readShort = false;
            memory = memory[..ReadAfterInPlace];
        }

        int n = _socket.Receive(memory);
        _received.Writer.Advance(n);
        Complete(_received.Writer.FlushAsync());
        _reading = _received.Reader.TryRead(out ReadResult result);
        buffer = _reading ? result.Buffer : default;
        return n > 0;
    }

    /// <summary>Blocks until the socket delivers more bytes: <see cref="Receive(bool, out ReadOnlySequence{byte})"/> without wake-ups.</summary>
    public bool Receive(out ReadOnlySequence<byte> buffer) => Receive(false, out buffer);

    /// <summary>
    /// Blocks until the socket delivers bytes, and receives them straight into <paramref name="destination"/> instead
    /// of the pipe: how many (at most its length), 0 when the peer closed its side. Only for the payload of a PDU
    /// whose earlier bytes have all been taken from the pipe.
    /// </summary>
    public int ReceiveInPlace(Span<byte> destination)
    {
        _readShort = true;
        return _socket.Receive(destination);
    }

    /// <summary>
    /// <see cref="ReceiveInPlace"/> that never blocks: the bytes received, 0 when the peer closed its side, -1 when
    /// none are waiting (<see cref="WaitReadable"/> then waits for them without reading).
    /// </summary>
    public int TryReceiveInPlace(Span<byte> destination)
    {
        _readShort = true;
        return StreamSocketIo.TryReceive(_socket, destination);
    }

    /// <summary>
    /// Blocks until the socket has bytes to read (or is at its end), or when <paramref name="wakeable"/> until
    /// <see cref="WakeUp"/>; reads none of them.
    /// </summary>
    public void WaitReadable(bool wakeable)
    {
        if (wakeable && _wake is not null)
        {
            WaitForBytesOrWakeUp(_wake);
            return;
        }

        Span<int> fds = [(int)_socket.Handle];
        Span<byte> ready = stackalloc byte[1];
        TapDevice.PollReadable(fds, -1, ready);
    }

    /// <summary>Makes a wake-up-able <see cref="Receive(bool, out ReadOnlySequence{byte})"/> return soon, with or without new bytes; any thread.</summary>
    public void WakeUp()
    {
        try
        {
            _wake?.Signal();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended.
        }
    }

    /// <summary>Marks what <see cref="Receive(bool, out ReadOnlySequence{byte})"/> returned as consumed up to <paramref name="consumed"/>.</summary>
    public void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_reading)
        {
            _reading = false;
            _received.Reader.AdvanceTo(consumed, examined);
        }
    }

    /// <summary>Sends every reply written to <see cref="Output"/> since the last call, with the payloads queued in place among them.</summary>
    public void SendReplies()
    {
        if (_inPlaceCount != 0)
        {
            try
            {
                SendGathered();
            }
            finally
            {
                ReleaseInPlace();
            }

            return;
        }

        _written = 0;
        if (_replies.Writer.UnflushedBytes == 0)
        {
            return;
        }

        Complete(_replies.Writer.FlushAsync());
        _replies.Reader.TryRead(out ReadResult result);
        foreach (ReadOnlyMemory<byte> segment in result.Buffer)
        {
            ReadOnlySpan<byte> bytes = segment.Span;
            while (!bytes.IsEmpty)
            {
                bytes = bytes[_socket.Send(bytes)..];
            }
        }

        _replies.Reader.AdvanceTo(result.Buffer.End);
    }

    public void Dispose()
    {
        ReleaseInPlace();
        _received.Reader.Complete();
        _received.Writer.Complete();
        _replies.Reader.Complete();
        _replies.Writer.Complete();
        _wake?.Dispose();
    }

    /// <summary>The replies and the in-place payloads between them, with as few <c>sendmsg</c> calls as the gather batch allows.</summary>
    private void SendGathered()
    {
        Complete(_replies.Writer.FlushAsync());
        bool read = _replies.Reader.TryRead(out ReadResult result);
        ReadOnlySequence<byte> inline = read ? result.Buffer : default;
        IoVector* iov = stackalloc IoVector[GatherBatch];
        int count = 0;
        int next = 0;
        long at = 0;
        foreach (ReadOnlyMemory<byte> segment in inline)
        {
            // The pin lasts until the vectors pointing into this segment are sent (below, before it ends).
            using MemoryHandle pin = segment.Pin();
            byte* bytes = (byte*)pin.Pointer;
            int left = segment.Length;
            while (left > 0)
            {
                count = AddDueInPlace(iov, count, ref next, at);
                int take = next < _inPlaceCount ? (int)Math.Min(left, _inPlace[next].At - at) : left;
                if (take > 0)
                {
                    count = Add(iov, count, bytes, take);
                    bytes += take;
                    left -= take;
                    at += take;
                }
            }

            StreamSocketIo.SendAllGather(_socket, iov, count);
            count = 0;
        }

        count = AddDueInPlace(iov, count, ref next, at);
        Debug.Assert(next == _inPlaceCount, "Every in-place payload sits at or before the end of the replies.");
        StreamSocketIo.SendAllGather(_socket, iov, count);
        if (read)
        {
            _replies.Reader.AdvanceTo(inline.End);
        }
    }

    /// <summary>Adds the in-place payloads due at inline position <paramref name="at"/>.</summary>
    private int AddDueInPlace(IoVector* iov, int count, ref int next, long at)
    {
        while (next < _inPlaceCount && _inPlace[next].At == at)
        {
            count = Add(iov, count, (byte*)_inPlace[next].Address, _inPlace[next].Length);
            next++;
        }

        return count;
    }

    /// <summary>Appends one gather element, sending the batch first when it is full.</summary>
    private int Add(IoVector* iov, int count, byte* bytes, int length)
    {
        if (count == GatherBatch)
        {
            StreamSocketIo.SendAllGather(_socket, iov, count);
            count = 0;
        }

        iov[count].Base = bytes;
        iov[count].Length = (ulong)length;
        return count + 1;
    }

    /// <summary>Drops the queued in-place payloads and their mapping references (sent, or never to be).</summary>
    private void ReleaseInPlace()
    {
        for (int i = 0; i < _inPlaceCount; i++)
        {
            _inPlace[i].Region.ReleaseMapping();
            _inPlace[i] = default;
        }

        _inPlaceCount = 0;
        _written = 0;
    }

    /// <summary>True when the socket is readable (or at its end), false when only a wake-up came (now consumed).</summary>
    private bool WaitForBytesOrWakeUp(EventFd wake)
    {
        Span<int> fds = [(int)_socket.Handle, wake.Handle.Fd];
        Span<byte> ready = stackalloc byte[2];
        TapDevice.PollReadable(fds, -1, ready);
        if (ready[1] != 0)
        {
            wake.TryRead(out _);
        }

        return ready[0] != 0;
    }

    /// <summary>A flush of a pipe with inline schedulers and no pause threshold has completed when it returns.</summary>
    private static void Complete(ValueTask<FlushResult> flush)
    {
        Debug.Assert(flush.IsCompleted, "The pipe has no pause threshold: its flush cannot wait.");
        flush.GetAwaiter().GetResult();
    }

    /// <summary>A payload sent from its region: <see cref="Length"/> bytes at <see cref="Address"/>, after <see cref="At"/> reply bytes.</summary>
    [StructLayout(LayoutKind.Auto)]
    private readonly record struct InPlaceSend(long At, DmaRegion Region, nint Address, int Length);
}
