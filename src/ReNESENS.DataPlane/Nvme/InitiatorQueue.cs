using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The host side of one NVMe/TCP connection (admin or I/O queue): sends capsules and H2CData,
/// receives responses, C2HData and R2Ts on one receive loop, completes commands by CID.
/// </summary>
/// <remarks>
/// <para>Sending is batched the way SPDK's poll groups do it: a command is posted to a send ring and
/// whichever thread wins the send token writes every posted PDU with as few socket writes as the
/// batch buffer allows. Commands posted by continuations running on the receive loop (the default:
/// completions run inline there) are sent once, together, when the loop has handled everything
/// the last socket read brought.</para>
/// <para>Free slots are an <see cref="MpmcRing{T}"/> of CIDs with a counter in front of it; only a
/// caller that finds every slot taken waits (on a semaphore, the slow path).</para>
/// </remarks>
internal sealed class InitiatorQueue : IAsyncDisposable
{
    /// <summary>Largest H2CData payload sent per PDU (also bounded by the controller's MAXH2CDATA).</summary>
    private const int MaxSendChunk = 1 << 20;

    /// <summary>Name of every queue's receive thread (where completions run by default).</summary>
    internal const string ReceiveThreadName = "NVMe/TCP host queue";

    /// <summary>Bytes of PDUs gathered before a socket write.</summary>
    private const int BatchSize = 64 * 1024;

    /// <summary>Data at least this long is written to the socket from the caller's memory instead of being copied into the batch.</summary>
    private const int DirectSendThreshold = 16 * 1024;

    /// <summary>C2HData payloads at least this long are received straight into the command's buffer once their header is in.</summary>
    private const int InPlaceThreshold = 16 * 1024;

    private readonly Socket _socket;
    private readonly BlockingSocketPipe _pipe;
    private readonly InitiatorSlot[] _slots;
    private readonly MpmcRing<ushort> _free;
    private readonly MpmcRing<ushort> _sends;
    private readonly SemaphoreSlim _slotWaiters = new(0);
    private readonly byte[] _batch = new byte[BatchSize];
    private PduRules _rules;
    private int _controllerAlignment = 4;
    private int _maxH2CData;
    private Task? _receiveLoop;
    private Exception? _failure;

    /// <summary>Free slots less callers waiting for one; negative while some wait.</summary>
    private int _available;

    /// <summary>1 while one thread owns the socket's send side; taken and released with Interlocked (the token's acquire/release).</summary>
    private int _sending;

    /// <summary>C2HData payload bytes received straight from the socket into commands' buffers; written by the receive loop only.</summary>
    private long _bytesInPlace;

    /// <summary>Managed thread ID of the receive loop while it handles a batch of PDUs, 0 otherwise; written by the receive loop only.</summary>
    private int _processingThread;

    private InitiatorQueue(Socket socket, int depth, int maxTransfer, bool runContinuationsAsynchronously)
    {
        _socket = socket;
        _pipe = new BlockingSocketPipe(socket);
        _slots = new InitiatorSlot[depth];
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(depth, 2));
        _free = new MpmcRing<ushort>(capacity);
        _sends = new MpmcRing<ushort>(capacity);
        for (int i = 0; i < depth; i++)
        {
            _slots[i] = new InitiatorSlot((ushort)i, runContinuationsAsynchronously);
            _free.TryEnqueue((ushort)i);
        }

        _available = depth;
        _rules = new PduRules { IsController = false, DataAlignment = 4, MaxCapsuleOrC2HData = maxTransfer, MaxH2CData = 0 };
    }

    public ushort QueueId { get; private set; }

    /// <summary>C2HData payload bytes received straight from the socket into commands' buffers (not through the receive pipe).</summary>
    public long BytesReceivedInPlace => Volatile.Read(ref _bytesInPlace);

    /// <summary>In-capsule data this queue may send.</summary>
    public int InCapsuleDataSize { get; set; }

    /// <summary>
    /// Connects, exchanges ICReq/ICResp and starts the receive loop on its own thread. The socket
    /// is only ever used with blocking calls (see <see cref="BlockingSocketPipe"/>), so the connect
    /// and the exchange run on a pool thread; cancelling closes the socket.
    /// </summary>
    public static async Task<InitiatorQueue> OpenAsync(EndPoint endPoint, int depth, bool headerDigest, bool dataDigest, bool runContinuationsAsynchronously, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var queue = new InitiatorQueue(socket, depth, 16 << 20, runContinuationsAsynchronously);
        try
        {
            using CancellationTokenRegistration cancel = cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
            try
            {
                await Task.Run(() => queue.Initialize(endPoint, headerDigest, dataDigest), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is SocketException or ObjectDisposedException)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
        catch
        {
            await queue.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return queue;
    }

    /// <summary>Connect, ICReq / ICResp, then the receive loop starts.</summary>
    private void Initialize(EndPoint endPoint, bool headerDigest, bool dataDigest)
    {
        _socket.Connect(endPoint);
        byte[] request = new byte[ICReqPdu.Size];
        PduWriter.WriteICReq(request, hostAlignment: 0, headerDigest, dataDigest, maxR2T: 0);
        SendAll(request);
        while (true)
        {
            bool open = _pipe.Receive(out ReadOnlySequence<byte> buffer);
            if (buffer.Length >= ICRespPdu.Size || !open)
            {
                if (buffer.Length < PduCommonHeader.Size)
                {
                    throw new NvmeCommandException("The controller closed the connection during initialization.");
                }

                byte[] header = new byte[Math.Min(buffer.Length, ICRespPdu.Size)];
                buffer.Slice(0, header.Length).CopyTo(header);
                PduCommonHeader common = PduValidator.ReadCommonHeader(header);
                if (common.Type == PduType.C2HTermReq && header.Length >= TermReqPdu.Size)
                {
                    TermReqPdu term = MemoryMarshal.Read<TermReqPdu>(header);
                    throw new NvmeCommandException($"The controller refused the connection: C2HTermReq FES {term.Status}, FEI {term.Information}.");
                }

                if (FatalErrorStatus.None != PduValidator.Validate(common, _rules, out _, out _) || header.Length < ICRespPdu.Size)
                {
                    throw new NvmeCommandException("The controller answered ICReq with a malformed PDU.");
                }

                ICRespPdu response = MemoryMarshal.Read<ICRespPdu>(header);
                if (response.FormatVersion != 0 || response.MaxH2CData < 4096 || response.ControllerDataAlignment > 31)
                {
                    throw new NvmeCommandException("The controller's ICResp carries unsupported parameters.");
                }

                _controllerAlignment = (response.ControllerDataAlignment + 1) * 4;
                _maxH2CData = (int)Math.Min(response.MaxH2CData, MaxSendChunk);
                _rules.HeaderDigest = (response.Digests & 1) != 0;
                _rules.DataDigest = (response.Digests & 2) != 0;
                _rules.Initialized = true;
                _pipe.AdvanceTo(buffer.GetPosition(ICRespPdu.Size), buffer.GetPosition(ICRespPdu.Size));
                break;
            }

            _pipe.AdvanceTo(buffer.Start, buffer.End);
        }

        _receiveLoop = Task.Factory.StartNew(static q => ((InitiatorQueue)q!).ReceiveLoop(), this, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Sends Connect for this queue and returns the controller ID.</summary>
    public async Task<ushort> ConnectAsync(ushort qid, int depth, uint keepAliveMs, ushort controllerId, string subsystemNqn, string hostNqn, Guid hostId)
    {
        byte[] data = new byte[1024];
        hostId.TryWriteBytes(data.AsSpan(0, 16), bigEndian: true, out _);
        BitConverter.TryWriteBytes(data.AsSpan(16), controllerId);
        System.Text.Encoding.UTF8.GetBytes(subsystemNqn, data.AsSpan(256, 255));
        System.Text.Encoding.UTF8.GetBytes(hostNqn, data.AsSpan(512, 255));
        var sqe = new SubmissionQueueEntry
        {
            Opcode = NvmeOpcodes.Fabrics,
            FabricsType = NvmeOpcodes.Connect,
            Dword10 = (uint)qid << 16,

            // SQSIZE (0's based); CATTR bit 2 on I/O queues: SQ flow control disabled, so reads may end with SUCCESS.
            Dword11 = (uint)(depth - 1) | (qid != 0 ? 0x04u << 16 : 0),
            Dword12 = keepAliveMs,
        };
        InitiatorCompletion completion = await SubmitAsync(sqe, data, default, inCapsule: true).ConfigureAwait(false);
        ThrowIfFailed(completion, "Connect");
        QueueId = qid;
        return (ushort)completion.Result;
    }

    public static void ThrowIfFailed(InitiatorCompletion completion, string what)
    {
        if (NvmeStatus.Code(completion.Status) != 0)
        {
            throw new NvmeCommandException(completion.Status, what);
        }
    }

    /// <summary>
    /// Sends one command. Host data goes in the capsule when <paramref name="inCapsule"/>, else on
    /// the controller's R2T; controller data lands in <paramref name="destination"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<InitiatorCompletion> SubmitAsync(SubmissionQueueEntry sqe, ReadOnlyMemory<byte> source, Memory<byte> destination, bool inCapsule)
    {
        InitiatorSlot slot = Interlocked.Decrement(ref _available) >= 0 ? TakeSlot() : await WaitForSlotAsync().ConfigureAwait(false);
        try
        {
            slot.Destination = destination;
            slot.Source = source;
            ValueTask<InitiatorCompletion> completion = slot.Start();
            sqe.CommandId = slot.CommandId;
            int length = !source.IsEmpty ? source.Length : destination.Length;
            sqe.SglLength = (uint)length;
            sqe.SglAddress = 0;
            sqe.SglIdentifier = inCapsule && !source.IsEmpty ? SubmissionQueueEntry.SglInCapsule : SubmissionQueueEntry.SglTransport;
            slot.Sqe = sqe;
            slot.InCapsule = inCapsule && !source.IsEmpty;
            if (_failure is not null)
            {
                slot.Fail(new NvmeCommandException("The queue's connection has ended.", _failure));
            }
            else
            {
                Post(slot, InitiatorSend.Capsule);
            }

            return await completion.ConfigureAwait(false);
        }
        finally
        {
            slot.Destination = default;
            slot.Source = default;
            ReleaseSlot(slot);
        }
    }

    /// <summary>Takes a free slot; the caller's decrement of <see cref="_available"/> reserved one.</summary>
    private InitiatorSlot TakeSlot()
    {
        // The slot counted by the reservation was enqueued before the count went up, so the ring
        // holds one for every reservation: the dequeue only waits for a racing dequeue to publish.
        var spin = default(SpinWait);
        ushort cid;
        while (!_free.TryDequeue(out cid))
        {
            spin.SpinOnce();
        }

        return _slots[cid];
    }

    /// <summary>Slow path: every slot is in flight; waits for a release to hand one over.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<InitiatorSlot> WaitForSlotAsync()
    {
        await _slotWaiters.WaitAsync().ConfigureAwait(false);
        return TakeSlot();
    }

    private void ReleaseSlot(InitiatorSlot slot)
    {
        _free.TryEnqueue(slot.CommandId);
        if (Interlocked.Increment(ref _available) <= 0)
        {
            _slotWaiters.Release();
        }
    }

    /// <summary>
    /// Queues what the slot owes the controller. On the receive loop the send waits for the end of
    /// the loop's batch; anywhere else this thread sends now, unless another thread is sending (it
    /// then sends this too).
    /// </summary>
    private void Post(InitiatorSlot slot, InitiatorSend what)
    {
        Volatile.Write(ref slot.Pending, (int)what);

        // At most one entry per slot is ever in the ring, and it holds every slot: this cannot fail.
        _sends.TryEnqueue(slot.CommandId);
        if (Environment.CurrentManagedThreadId != Volatile.Read(ref _processingThread))
        {
            Flush();
        }
    }

    /// <summary>Sends everything posted, unless another thread holds the send token (it re-checks the ring after releasing it).</summary>
    private void Flush()
    {
        // Pairs with the release below: whoever enqueued before that release is seen by the
        // re-check; whoever enqueues after it wins the token itself.
        while (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            try
            {
                SendPosted();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                FailAll(e);
            }
            finally
            {
                Interlocked.Exchange(ref _sending, 0);
            }

            if (_sends.Count == 0)
            {
                return;
            }
        }
    }

    /// <summary>Holder of the send token only: writes every posted PDU, batched.</summary>
    private void SendPosted()
    {
        Span<ushort> posted = stackalloc ushort[32];
        int used = 0;
        int n;
        while ((n = _sends.DequeueBurst(posted)) > 0)
        {
            foreach (ushort cid in posted[..n])
            {
                InitiatorSlot slot = _slots[cid];
                var what = (InitiatorSend)Volatile.Read(ref slot.Pending);
                Volatile.Write(ref slot.Pending, (int)InitiatorSend.None);
                if (_failure is not null)
                {
                    continue;
                }

                used = what == InitiatorSend.Capsule ? AppendCapsule(slot, used) : AppendData(slot, used);
            }
        }

        SendAll(_batch.AsSpan(0, used));
    }

    private int AppendCapsule(InitiatorSlot slot, int used)
    {
        ReadOnlySpan<byte> data = slot.InCapsule ? slot.Source.Span : default;
        used = Reserve(used, PduCommonHeader.Size + SubmissionQueueEntry.Size + 4 + 32);
        used += PduWriter.WriteCapsuleCommand(_batch.AsSpan(used), slot.Sqe, _rules.HeaderDigest, _rules.DataDigest, _controllerAlignment, data.Length);
        return data.IsEmpty ? used : AppendPayload(data, used);
    }

    /// <summary>Answers an R2T: the requested range of the write's source, in H2CData PDUs of at most MAXH2CDATA.</summary>
    private int AppendData(InitiatorSlot slot, int used)
    {
        uint offset = slot.DataOffset;
        uint end = offset + slot.DataLength;
        while (offset < end)
        {
            int chunk = (int)Math.Min(end - offset, (uint)_maxH2CData);
            bool last = offset + (uint)chunk == end;
            used = Reserve(used, DataPduHeader.Size + 4 + 32);
            used += PduWriter.WriteDataHeader(_batch.AsSpan(used), PduType.H2CData, last ? PduFlags.LastPdu : PduFlags.None, slot.CommandId, slot.TransferTag, offset, chunk, _rules.HeaderDigest, _rules.DataDigest, _controllerAlignment);
            used = AppendPayload(slot.Source.Span.Slice((int)offset, chunk), used);
            offset += (uint)chunk;
        }

        return used;
    }

    /// <summary>Data (and its digest): copied into the batch when short, written from the caller's memory when long.</summary>
    private int AppendPayload(ReadOnlySpan<byte> data, int used)
    {
        if (data.Length >= DirectSendThreshold || data.Length > _batch.Length - used)
        {
            SendAll(_batch.AsSpan(0, used), data);
            used = 0;
        }
        else
        {
            data.CopyTo(_batch.AsSpan(used));
            used += data.Length;
        }

        if (_rules.DataDigest)
        {
            used = Reserve(used, 4);
            PduDigest.Write(data, _batch.AsSpan(used, 4));
            used += 4;
        }

        return used;
    }

    /// <summary>Makes room for <paramref name="bytes"/> in the batch, writing it out when full.</summary>
    private int Reserve(int used, int bytes)
    {
        if (_batch.Length - used >= bytes)
        {
            return used;
        }

        SendAll(_batch.AsSpan(0, used));
        return 0;
    }

    /// <summary>The batch so far and a payload from the caller's memory, gathered into as few <c>sendmsg</c> calls as the kernel takes.</summary>
    private unsafe void SendAll(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> data)
    {
        // fixed: both spans stay pinned for the calls; the kernel has copied what it took when each returns.
        fixed (byte* head = batch)
        fixed (byte* payload = data)
        {
            IoVector* iov = stackalloc IoVector[2];
            iov[0] = new IoVector { Base = head, Length = (ulong)batch.Length };
            iov[1] = new IoVector { Base = payload, Length = (ulong)data.Length };
            StreamSocketIo.SendAllGather(_socket, iov, 2);
        }
    }

    private void SendAll(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    /// <summary>The queue's own thread: blocks on the socket, handles each batch of PDUs (completions run here by default), then sends what they posted.</summary>
    private void ReceiveLoop()
    {
        Thread.CurrentThread.Name = ReceiveThreadName;
        try
        {
            while (true)
            {
                bool open = _pipe.Receive(out ReadOnlySequence<byte> buffer);

                // Commands that completions post while the batch is handled go out together after it.
                Volatile.Write(ref _processingThread, Environment.CurrentManagedThreadId);
                string? error;
                try
                {
                    error = Process(ref buffer);
                }
                finally
                {
                    Volatile.Write(ref _processingThread, 0);
                }

                _pipe.AdvanceTo(buffer.Start, buffer.End);
                if (_sends.Count != 0)
                {
                    Flush();
                }

                if (error is not null)
                {
                    FailAll(new NvmeCommandException(error));
                    return;
                }

                if (!open)
                {
                    FailAll(new NvmeCommandException("The controller closed the connection."));
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            FailAll(e);
        }
    }

    /// <summary>Handles every complete PDU; returns an error text when the controller broke the protocol.</summary>
    private string? Process(ref ReadOnlySequence<byte> input)
    {
        Span<byte> header = stackalloc byte[ICRespPdu.Size + 4];
        while (input.Length >= PduCommonHeader.Size)
        {
            input.Slice(0, PduCommonHeader.Size).CopyTo(header);
            FatalErrorStatus fes = PduValidator.Validate(PduValidator.ReadCommonHeader(header), _rules, out PduFrame frame, out uint fei);
            if (fes != FatalErrorStatus.None)
            {
                return $"Malformed PDU from the controller: {fes} at offset {fei}.";
            }

            if (input.Length < frame.PduLength)
            {
                if (frame.Type != PduType.C2HData || frame.DataLength < InPlaceThreshold || input.Length < frame.DataOffset)
                {
                    return null;
                }

                if (ReceiveC2HDataInPlace(ref input, frame, header) is { } failed)
                {
                    return failed;
                }

                continue;
            }

            ReadOnlySequence<byte> pdu = input.Slice(0, frame.PduLength);
            pdu.Slice(0, frame.HeaderLength + frame.HeaderDigestLength).CopyTo(header);
            if (!PduValidator.HeaderDigestMatches(header, frame))
            {
                return "Header digest error.";
            }

            input = input.Slice(frame.PduLength);
            switch (frame.Type)
            {
                case PduType.CapsuleResp:
                    {
                        CompletionQueueEntry cqe = MemoryMarshal.Read<CompletionQueueEntry>(header[PduCommonHeader.Size..]);
                        if (cqe.CommandId >= _slots.Length)
                        {
                            return $"Response for unknown CID {cqe.CommandId}.";
                        }

                        _slots[cqe.CommandId].Complete(new InitiatorCompletion(NvmeStatus.FromCqe(cqe.Status), cqe.Dword0And1));
                        break;
                    }

                case PduType.C2HData:
                    {
                        DataPduHeader data = MemoryMarshal.Read<DataPduHeader>(header);
                        if (CheckC2HData(data, frame) is { } malformed)
                        {
                            return malformed;
                        }

                        InitiatorSlot slot = _slots[data.CommandId];
                        ReadOnlySequence<byte> payload = pdu.Slice(frame.DataOffset, frame.DataLength);
                        if (frame.DataDigestLength != 0 && !PduDigest.Matches(payload, pdu.Slice(frame.DataOffset + frame.DataLength, 4)))
                        {
                            return "Data digest error.";
                        }

                        payload.CopyTo(slot.Destination.Span[(int)data.Offset..]);
                        if (ReceivedC2HData(slot, data, frame) is { } early)
                        {
                            return early;
                        }

                        break;
                    }

                case PduType.R2T:
                    {
                        DataPduHeader r2t = MemoryMarshal.Read<DataPduHeader>(header);
                        if (r2t.CommandId >= _slots.Length)
                        {
                            return "R2T for an unknown CID.";
                        }

                        InitiatorSlot slot = _slots[r2t.CommandId];
                        if (Volatile.Read(ref slot.Busy) == 0 || r2t.Length == 0 || (ulong)r2t.Offset + r2t.Length > (ulong)slot.Source.Length)
                        {
                            return "R2T outside the command's data.";
                        }

                        if (Volatile.Read(ref slot.Pending) != (int)InitiatorSend.None)
                        {
                            // Only one R2T per command may be outstanding (ICReq MAXR2T 0), and never before its capsule left.
                            return $"R2T for CID {r2t.CommandId} while it still has PDUs to send.";
                        }

                        slot.TransferTag = r2t.TransferTag;
                        slot.DataOffset = r2t.Offset;
                        slot.DataLength = r2t.Length;
                        Post(slot, InitiatorSend.Data);
                        break;
                    }

                default:
                    {
                        TermReqPdu term = MemoryMarshal.Read<TermReqPdu>(header);
                        return $"The controller ended the connection: C2HTermReq FES {term.Status}, FEI {term.Information}.";
                    }
            }
        }

        return null;
    }

    /// <summary>Checks a C2HData header against its command: null when it fits the command's buffer at the next offset, else the error.</summary>
    private string? CheckC2HData(in DataPduHeader data, in PduFrame frame)
    {
        if (PduValidator.ValidateDataLength(data, frame, out _) != FatalErrorStatus.None || data.CommandId >= _slots.Length)
        {
            return "Malformed C2HData.";
        }

        InitiatorSlot slot = _slots[data.CommandId];
        if (Volatile.Read(ref slot.Busy) == 0 || data.Offset != (uint)slot.Received || (ulong)data.Offset + data.Length > (ulong)slot.Destination.Length)
        {
            return $"C2HData outside the command's buffer (CID {data.CommandId}).";
        }

        return null;
    }

    /// <summary>Counts a C2HData payload that has landed; completes the command on SUCCESS. Null, or the error.</summary>
    private static string? ReceivedC2HData(InitiatorSlot slot, in DataPduHeader data, in PduFrame frame)
    {
        slot.Received += (int)data.Length;
        if ((frame.Flags & PduFlags.Success) != 0)
        {
            if (slot.Received != slot.Destination.Length)
            {
                return "SUCCESS before all the data.";
            }

            slot.Complete(new InitiatorCompletion(0, 0));
        }

        return null;
    }

    /// <summary>
    /// A C2HData whose header is in but not all its payload, SPDK style: once the header is checked, the payload
    /// bytes already received are copied into the command's buffer and the rest is received straight into it from
    /// the socket (blocking: this is the queue's receive thread), then the data digest is read and checked against
    /// the CRC32C of the buffer. Null, or the error that ends the connection.
    /// </summary>
    private string? ReceiveC2HDataInPlace(ref ReadOnlySequence<byte> input, in PduFrame frame, Span<byte> header)
    {
        // The header (and its digest) is copied once; only the copy is used from here on.
        input.Slice(0, frame.HeaderLength + frame.HeaderDigestLength).CopyTo(header);
        if (!PduValidator.HeaderDigestMatches(header, frame))
        {
            return "Header digest error.";
        }

        DataPduHeader data = MemoryMarshal.Read<DataPduHeader>(header);
        if (CheckC2HData(data, frame) is { } malformed)
        {
            return malformed;
        }

        InitiatorSlot slot = _slots[data.CommandId];
        Span<byte> destination = slot.Destination.Span.Slice((int)data.Offset, (int)data.Length);
        ReadOnlySequence<byte> received = input.Slice(frame.DataOffset);
        received.CopyTo(destination);
        int have = (int)received.Length;
        input = input.Slice(input.End);

        // Commands posted by completions earlier in this batch leave before this thread blocks on the payload.
        if (_sends.Count != 0)
        {
            Flush();
        }

        while (have < destination.Length)
        {
            int n = _pipe.ReceiveInPlace(destination[have..]);
            if (n == 0)
            {
                return $"The controller closed the connection in the middle of the data of CID {data.CommandId}.";
            }

            have += n;
            Volatile.Write(ref _bytesInPlace, _bytesInPlace + n);
        }

        if (frame.DataDigestLength != 0)
        {
            Span<byte> digest = stackalloc byte[4];
            for (int got = 0; got < digest.Length;)
            {
                int n = _pipe.ReceiveInPlace(digest[got..]);
                if (n == 0)
                {
                    return $"The controller closed the connection in the middle of the data of CID {data.CommandId}.";
                }

                got += n;
            }

            if (PduDigest.Compute(destination) != PduDigest.Read(digest))
            {
                return "Data digest error.";
            }
        }

        return ReceivedC2HData(slot, data, frame);
    }

    private void FailAll(Exception exception)
    {
        _failure ??= exception;
        foreach (InitiatorSlot slot in _slots)
        {
            slot.Fail(new NvmeCommandException("The queue's connection ended before the command completed.", exception));
        }
    }

    public async ValueTask DisposeAsync()
    {
        var disposed = new ObjectDisposedException(nameof(InitiatorQueue));

        // Nothing more is sent; the commands in flight fail once the receive loop is gone (below), so that no
        // payload received in place lands in a caller's buffer after its command has failed.
        _failure ??= disposed;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }

        catch (ObjectDisposedException)
        {
            // Closed by a cancelled OpenAsync.
        }

        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        FailAll(disposed);
        _socket.Dispose();
        _pipe.Dispose();
        _slotWaiters.Dispose();
    }
}
