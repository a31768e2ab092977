using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using ReNESENS.DataPlane.Interop;

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
/// </remarks>
internal sealed class BlockingSocketPipe : IDisposable
{
    /// <summary>Free room asked of the receive pipe before each socket read: room for a whole batch of 4 KiB reads' C2HData in one read.</summary>
    private const int MinimumRead = 160 * 1024;

    private readonly Socket _socket;
    private readonly Pipe _received = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));
    private readonly Pipe _replies = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 256 * 1024, useSynchronizationContext: false));

    /// <summary>Signalled by <see cref="WakeUp"/> (any thread); drained by the connection thread. Null when made without wake-ups.</summary>
    private readonly EventFd? _wake;

    /// <summary>A read of <see cref="_received"/> is open (the last <see cref="Receive(bool, out ReadOnlySequence{byte})"/> returned bytes).</summary>
    private bool _reading;

    /// <param name="socket">The connected socket; this pipe makes it blocking.</param>
    /// <param name="withWakeUp">Whether <see cref="WakeUp"/> may interrupt a <see cref="Receive(bool, out ReadOnlySequence{byte})"/> (an eventfd is kept for it).</param>
    public BlockingSocketPipe(Socket socket, bool withWakeUp = false)
    {
        _wake = withWakeUp ? EventFd.Create() : null;
        _socket = socket;
        _socket.Blocking = true;
    }

    /// <summary>Where replies are written; <see cref="SendReplies"/> sends them.</summary>
    public IBufferWriter<byte> Output => _replies.Writer;

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

        Memory<byte> memory = _received.Writer.GetMemory(MinimumRead);
        int n = _socket.Receive(memory.Span);
        _received.Writer.Advance(n);
        Complete(_received.Writer.FlushAsync());
        _reading = _received.Reader.TryRead(out ReadResult result);
        buffer = _reading ? result.Buffer : default;
        return n > 0;
    }

    /// <summary>Blocks until the socket delivers more bytes: <see cref="Receive(bool, out ReadOnlySequence{byte})"/> without wake-ups.</summary>
    public bool Receive(out ReadOnlySequence<byte> buffer) => Receive(false, out buffer);

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

    /// <summary>Sends every reply written to <see cref="Output"/> since the last call.</summary>
    public void SendReplies()
    {
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
        _received.Reader.Complete();
        _received.Writer.Complete();
        _replies.Reader.Complete();
        _replies.Writer.Complete();
        _wake?.Dispose();
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
}
