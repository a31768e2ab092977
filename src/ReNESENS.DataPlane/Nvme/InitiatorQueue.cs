using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The host side of one NVMe/TCP connection (admin or I/O queue): sends capsules and H2CData,
/// receives responses, C2HData and R2Ts on one receive loop, completes commands by CID.
/// </summary>
internal sealed class InitiatorQueue : IAsyncDisposable
{
    /// <summary>Largest H2CData payload sent per PDU (also bounded by the controller's MAXH2CDATA).</summary>
    private const int SendChunk = 64 * 1024;

    private const int HeaderRoom = 256;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly InitiatorSlot[] _slots;
    private readonly Stack<InitiatorSlot> _free;
    private readonly SemaphoreSlim _freeCount;
    private readonly Lock _sendLock = new();
    private PduRules _rules;
    private int _controllerAlignment = 4;
    private int _maxH2CData;
    private Task? _receiveLoop;
    private Exception? _failure;

    private InitiatorQueue(Socket socket, int depth, int maxTransfer)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _slots = new InitiatorSlot[depth];
        _free = new Stack<InitiatorSlot>(depth);
        for (int i = depth - 1; i >= 0; i--)
        {
            _slots[i] = new InitiatorSlot((ushort)i, HeaderRoom + SendChunk + 4);
            _free.Push(_slots[i]);
        }

        _freeCount = new SemaphoreSlim(depth, depth);
        _rules = new PduRules { IsController = false, DataAlignment = 4, MaxCapsuleOrC2HData = maxTransfer, MaxH2CData = 0 };
    }

    public ushort QueueId { get; private set; }

    /// <summary>In-capsule data this queue may send.</summary>
    public int InCapsuleDataSize { get; set; }

    public static async Task<InitiatorQueue> OpenAsync(EndPoint endPoint, int depth, bool headerDigest, bool dataDigest, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var queue = new InitiatorQueue(socket, depth, 16 << 20);
        try
        {
            await queue.InitializeAsync(headerDigest, dataDigest, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await queue.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return queue;
    }

    /// <summary>ICReq / ICResp, then the receive loop starts.</summary>
    private async Task InitializeAsync(bool headerDigest, bool dataDigest, CancellationToken cancellationToken)
    {
        byte[] request = new byte[ICReqPdu.Size];
        PduWriter.WriteICReq(request, hostAlignment: 0, headerDigest, dataDigest, maxR2T: 0);
        await _stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= ICRespPdu.Size || result.IsCompleted)
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
                _maxH2CData = (int)Math.Min(response.MaxH2CData, SendChunk);
                _rules.HeaderDigest = (response.Digests & 1) != 0;
                _rules.DataDigest = (response.Digests & 2) != 0;
                _rules.Initialized = true;
                _reader.AdvanceTo(buffer.GetPosition(ICRespPdu.Size));
                break;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }

        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
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
        await _freeCount.WaitAsync().ConfigureAwait(false);
        InitiatorSlot slot;
        lock (_free)
        {
            slot = _free.Pop();
        }

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
            if (_failure is not null)
            {
                slot.Fail(new NvmeCommandException("The queue's connection has ended.", _failure));
            }
            else
            {
                SendCapsule(slot, sqe, inCapsule ? source.Span : default);
            }

            return await completion.ConfigureAwait(false);
        }
        finally
        {
            slot.Destination = default;
            slot.Source = default;
            lock (_free)
            {
                _free.Push(slot);
            }

            _freeCount.Release();
        }
    }

    private void SendCapsule(InitiatorSlot slot, in SubmissionQueueEntry sqe, ReadOnlySpan<byte> data)
    {
        byte[] buffer = slot.SendBuffer;
        int pdo = PduWriter.WriteCapsuleCommand(buffer, sqe, _rules.HeaderDigest, _rules.DataDigest, _controllerAlignment, data.Length);
        int length = pdo;
        if (!data.IsEmpty)
        {
            data.CopyTo(buffer.AsSpan(pdo));
            length += data.Length;
            if (_rules.DataDigest)
            {
                PduDigest.Write(data, buffer.AsSpan(length, 4));
                length += 4;
            }
        }

        Send(buffer.AsSpan(0, length));
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        try
        {
            lock (_sendLock)
            {
                while (!bytes.IsEmpty)
                {
                    bytes = bytes[_socket.Send(bytes)..];
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            FailAll(e);
        }
    }

    /// <summary>Answers an R2T: the requested range of the write's source, in H2CData PDUs of at most MAXH2CDATA.</summary>
    private void SendData(InitiatorSlot slot, ushort transferTag, uint offset, uint length)
    {
        byte[] buffer = slot.SendBuffer;
        uint end = offset + length;
        while (offset < end)
        {
            int chunk = (int)Math.Min(end - offset, (uint)_maxH2CData);
            bool last = offset + (uint)chunk == end;
            int pdo = PduWriter.WriteDataHeader(buffer, PduType.H2CData, last ? PduFlags.LastPdu : PduFlags.None, slot.CommandId, transferTag, offset, chunk, _rules.HeaderDigest, _rules.DataDigest, _controllerAlignment);
            ReadOnlySpan<byte> data = slot.Source.Span.Slice((int)offset, chunk);
            data.CopyTo(buffer.AsSpan(pdo));
            int total = pdo + chunk;
            if (_rules.DataDigest)
            {
                PduDigest.Write(data, buffer.AsSpan(total, 4));
                total += 4;
            }

            Send(buffer.AsSpan(0, total));
            offset += (uint)chunk;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                string? error = Process(ref buffer);
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (error is not null)
                {
                    FailAll(new NvmeCommandException(error));
                    return;
                }

                if (result.IsCompleted)
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
                return null;
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
                        if (PduValidator.ValidateDataLength(data, frame, out _) != FatalErrorStatus.None || data.CommandId >= _slots.Length)
                        {
                            return "Malformed C2HData.";
                        }

                        InitiatorSlot slot = _slots[data.CommandId];
                        if (Volatile.Read(ref slot.Busy) == 0 || data.Offset != (uint)slot.Received || (ulong)data.Offset + data.Length > (ulong)slot.Destination.Length)
                        {
                            return $"C2HData outside the command's buffer (CID {data.CommandId}).";
                        }

                        ReadOnlySequence<byte> payload = pdu.Slice(frame.DataOffset, frame.DataLength);
                        if (frame.DataDigestLength != 0 && !PduDigest.Matches(payload, pdu.Slice(frame.DataOffset + frame.DataLength, 4)))
                        {
                            return "Data digest error.";
                        }

                        payload.CopyTo(slot.Destination.Span[(int)data.Offset..]);
                        slot.Received += (int)data.Length;
                        if ((frame.Flags & PduFlags.Success) != 0)
                        {
                            if (slot.Received != slot.Destination.Length)
                            {
                                return "SUCCESS before all the data.";
                            }

                            slot.Complete(new InitiatorCompletion(0, 0));
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

                        SendData(slot, r2t.TransferTag, r2t.Offset, r2t.Length);
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
        FailAll(new ObjectDisposedException(nameof(InitiatorQueue)));
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }

        _socket.Dispose();
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _freeCount.Dispose();
    }
}
