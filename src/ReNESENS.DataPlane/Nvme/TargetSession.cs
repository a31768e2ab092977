using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The controller side of one NVMe/TCP connection (one queue): turns received bytes into PDUs,
/// checks each before use, runs commands and writes PDUs back. Single-threaded: the connection
/// loop calls <see cref="Process"/>; only <see cref="Abort"/> comes from other threads.
/// </summary>
/// <remarks>
/// States: <c>AwaitingICReq</c> until ICReq/ICResp; then <c>Ready</c> (no controller) until a
/// Connect binds a controller; <c>Closed</c> after a fatal error or an abort, after which no PDU
/// is looked at and no namespace is touched.
/// </remarks>
internal sealed partial class TargetSession : IDisposable
{
    /// <summary>Largest C2HData payload per PDU.</summary>
    private const int C2HChunk = 128 * 1024;

    /// <summary>Piece of a C2HData payload copied per output span.</summary>
    private const int CopyChunk = 16 * 1024;

    /// <summary>Longest PDU header with its digest.</summary>
    private const int MaxHeaderBytes = ICReqPdu.Size + 4;

    /// <summary>
    /// Shortest H2CData payload received in place into a RAM namespace; shorter ones are cheaper to copy out of the
    /// receive pipe than to receive on their own.
    /// </summary>
    internal const int InPlaceReceiveThreshold = 16 * 1024;

    /// <summary>
    /// Shortest C2HData payload sent from a RAM namespace's region by the gathering send: one logical block of 4 KiB
    /// already costs more to copy (random reads over a namespace miss the caches) than its gather element and mapping
    /// reference.
    /// </summary>
    internal const int InPlaceSendThreshold = 4 * 1024;

    private readonly NvmeTargetCore _core;
    private readonly CancellationTokenSource _abort = new();
    private PduRules _rules;
    private int _hostAlignment = 4;
    private bool _closed;
    private int _disposed;

    private NvmeController? _controller;
    private int _qid;
    private int _queueDepth;
    private ushort _sqHead;
    private bool _sqFlowDisabled;
    /// <summary>Commands waiting for H2CData, indexed by TTAG; one slot before Connect (a Connect whose data comes on an R2T), the queue depth after.</summary>
    private CommandContext?[] _transfers = new CommandContext?[1];
    private readonly List<ushort> _asyncEvents = [];
    private long _epoch;
    private Action? _wakeUp;

    /// <summary>The H2CData payload being received in place into its namespace; no command while none is.</summary>
    private InPlaceWrite _inPlaceWrite;

    /// <summary>Counts of the batch being processed, published by <see cref="PublishCounters"/>.</summary>
    private long _batchCommands, _batchReads, _batchReadBytes, _batchWrites, _batchWriteBytes, _batchInPlaceBytes;

    public TargetSession(NvmeTargetCore core, string peer)
    {
        _core = core;
        Peer = peer;
        StartedAt = Stopwatch.GetTimestamp();
        _rules = new PduRules
        {
            IsController = true,
            DataAlignment = 4,
            MaxCapsuleOrC2HData = core.Options.InCapsuleDataSize,
            MaxH2CData = core.Options.MaxH2CData,
        };
    }

    public string Peer { get; }

    public long StartedAt { get; }

    /// <summary>True once a Connect bound this queue to a controller.</summary>
    public bool IsConnected => _controller is not null;

    /// <summary>Cancelled when the session must end (controller failed, keep-alive expiry, target stop).</summary>
    public CancellationToken Aborted => _abort.Token;

    /// <summary>Ends the session from any thread: the connection loop sees <see cref="Aborted"/> and closes.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session already ended.
        }
    }

    /// <summary>
    /// Odd while <see cref="Process"/> runs, even between calls; incremented with a full fence at both ends. A
    /// namespace is touched only inside <see cref="Process"/> (a Read's payload sent in place just after it holds
    /// the region mapped), so once every session seen odd has moved on, none still uses a namespace that was detached
    /// (or shrunk) before: see <see cref="NvmeTargetCore.WaitForQuiescenceAsync"/>.
    /// </summary>
    public long Epoch => Volatile.Read(ref _epoch);

    /// <summary>Makes the connection loop call <see cref="Process"/> soon (an asynchronous event is ready to post); any thread.</summary>
    public void WakeUp()
    {
        try
        {
            _wakeUp?.Invoke();
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // The connection is closing.
        }
    }

    /// <summary>Set once by the connection loop, before the first <see cref="Process"/>: interrupts its pending read.</summary>
    public void SetWakeUp(Action wakeUp) => _wakeUp = wakeUp;

    /// <summary>
    /// Whether the connection loop must let <see cref="WakeUp"/> interrupt its wait for bytes: an admin queue of a
    /// controller (asynchronous events are posted there); I/O queues never need it.
    /// </summary>
    public bool WantsWakeUps => _qid == 0 && _controller is not null;

    /// <summary>
    /// True while an H2CData payload is being received in place and the socket had no more of it: the connection
    /// loop waits for the socket to be readable (reading nothing into its pipe, holding no namespace), then calls
    /// <see cref="Process"/>, which receives the next bytes straight into the namespace.
    /// </summary>
    public bool AwaitsPayload => _inPlaceWrite.Context is not null;

    /// <summary>
    /// Consumes every complete PDU at the start of <paramref name="input"/> and writes the replies (after any
    /// asynchronous event ready to post). The batch's command, read and write counts reach the metrics and the
    /// subsystem's counters once, at its end (before any reply is sent), not once per command.
    /// </summary>
    /// <remarks>
    /// When <paramref name="output"/> is the connection's <see cref="BlockingSocketPipe"/>, large payloads of a RAM
    /// namespace move in place, without data digests: a Read's C2HData is queued to be sent from the namespace's
    /// region, and an H2CData whose header is in is received straight into the namespace (the bytes already in
    /// <paramref name="input"/> are copied, the rest come from the socket). With data digests both keep the copy: the
    /// digest of a Read must be of the very bytes sent, and a Write whose digest fails must leave the namespace as
    /// it was; both hold only for a private copy while other queues may write the same blocks.
    /// </remarks>
    public SessionStatus Process(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        Interlocked.Increment(ref _epoch);
        try
        {
            if (_qid == 0 && _controller is { HasPendingEvents: true })
            {
                PostAsyncEvents(output);
            }

            SessionStatus status = ProcessPdus(ref input, output);
            PublishCounters();
            return status;
        }
        finally
        {
            Interlocked.Increment(ref _epoch);
        }
    }

    private void PublishCounters()
    {
        if (_batchCommands != 0)
        {
            NvmeMetrics.Commands.Add(_batchCommands);
            _batchCommands = 0;
        }

        if (_batchInPlaceBytes != 0)
        {
            NvmeMetrics.BytesInPlace.Add(_batchInPlaceBytes);
            _batchInPlaceBytes = 0;
        }

        if (_batchReads != 0)
        {
            NvmeSubsystem subsystem = _controller!.Subsystem;
            Interlocked.Add(ref subsystem.ReadCommands, _batchReads);
            Interlocked.Add(ref subsystem.BytesRead, _batchReadBytes);
            NvmeMetrics.ReadCommands.Add(_batchReads);
            NvmeMetrics.BytesRead.Add(_batchReadBytes);
            _batchReads = 0;
            _batchReadBytes = 0;
        }

        if (_batchWrites != 0)
        {
            NvmeSubsystem subsystem = _controller!.Subsystem;
            Interlocked.Add(ref subsystem.WriteCommands, _batchWrites);
            Interlocked.Add(ref subsystem.BytesWritten, _batchWriteBytes);
            NvmeMetrics.WriteCommands.Add(_batchWrites);
            NvmeMetrics.BytesWritten.Add(_batchWriteBytes);
            _batchWrites = 0;
            _batchWriteBytes = 0;
        }
    }

    private SessionStatus ProcessPdus(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        Span<byte> header = stackalloc byte[MaxHeaderBytes];
        while (!_closed)
        {
            if (_abort.IsCancellationRequested || (_controller?.IsFailed ?? false))
            {
                _closed = true;
                break;
            }

            if (AwaitsPayload)
            {
                // Started only with the connection's pipe as the output (see TryStartInPlaceWrite).
                SessionStatus resumed = ContinueInPlaceWrite((BlockingSocketPipe)output, output);
                if (resumed == SessionStatus.Close)
                {
                    _closed = true;
                    return SessionStatus.Close;
                }

                if (AwaitsPayload)
                {
                    return SessionStatus.Continue;
                }

                continue;
            }

            if (input.Length < PduCommonHeader.Size)
            {
                return SessionStatus.Continue;
            }

            input.Slice(0, PduCommonHeader.Size).CopyTo(header);
            PduCommonHeader common = PduValidator.ReadCommonHeader(header);
            FatalErrorStatus fes = PduValidator.Validate(common, _rules, out PduFrame frame, out uint fei);
            if (fes != FatalErrorStatus.None)
            {
                return Fatal(output, fes, fei, header[..PduCommonHeader.Size]);
            }

            if (input.Length < frame.PduLength)
            {
                if (frame.Type == PduType.H2CData && output is BlockingSocketPipe pipe && frame.DataDigestLength == 0
                    && frame.DataLength >= InPlaceReceiveThreshold && input.Length >= frame.DataOffset)
                {
                    SessionStatus started = TryStartInPlaceWrite(ref input, frame, header, pipe, output);
                    if (started == SessionStatus.Close)
                    {
                        _closed = true;
                        return SessionStatus.Close;
                    }

                    if (AwaitsPayload || input.Length >= frame.PduLength)
                    {
                        continue;
                    }
                }

                return SessionStatus.Continue;
            }

            // The header (and its digest) is copied once; only the copy is used from here on.
            ReadOnlySequence<byte> pdu = input.Slice(0, frame.PduLength);
            int headerBytes = frame.HeaderLength + frame.HeaderDigestLength;
            pdu.Slice(0, headerBytes).CopyTo(header);
            if (!PduValidator.HeaderDigestMatches(header, frame))
            {
                return Fatal(output, FatalErrorStatus.HeaderDigestError, 0, header[..frame.HeaderLength]);
            }

            ReadOnlySequence<byte> data = frame.DataLength > 0 ? pdu.Slice(frame.DataOffset, frame.DataLength) : default;
            bool dataOk = frame.DataDigestLength == 0 || PduDigest.Matches(data, pdu.Slice(frame.DataOffset + frame.DataLength, 4));
            input = input.Slice(frame.PduLength);
            SessionStatus status = frame.Type switch
            {
                PduType.ICReq => HandleICReq(MemoryMarshal.Read<ICReqPdu>(header), header[..frame.HeaderLength], output),
                PduType.H2CTermReq => HandleTermReq(MemoryMarshal.Read<TermReqPdu>(header)),
                PduType.CapsuleCmd => HandleCapsule(MemoryMarshal.Read<SubmissionQueueEntry>(header[PduCommonHeader.Size..]), data, dataOk, output),
                _ => HandleH2CData(MemoryMarshal.Read<DataPduHeader>(header), frame, header[..frame.HeaderLength], data, dataOk, output),
            };
            if (status == SessionStatus.Close)
            {
                _closed = true;
                return SessionStatus.Close;
            }
        }

        return SessionStatus.Close;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closed = true;
        _inPlaceWrite = default;
        for (int i = 0; i < _transfers.Length; i++)
        {
            if (_transfers[i] is { } context)
            {
                _transfers[i] = null;
                _core.ContextPool.Return(context);
            }
        }

        NvmeController? controller = _controller;
        if (controller is not null)
        {
            if (_qid == 0)
            {
                // The admin queue going away ends the controller and with it every I/O queue.
                _core.RemoveController(controller);
            }
            else
            {
                controller.Detach(_qid, this);
            }
        }

        _abort.Dispose();
    }

    private SessionStatus HandleICReq(ICReqPdu request, ReadOnlySpan<byte> header, IBufferWriter<byte> output)
    {
        if (request.FormatVersion != 0)
        {
            return Fatal(output, FatalErrorStatus.UnsupportedParameter, 8, header);
        }

        if (request.HostDataAlignment > 31)
        {
            return Fatal(output, FatalErrorStatus.InvalidHeaderField, 10, header);
        }

        bool headerDigest = (request.Digests & 1) != 0;
        bool dataDigest = (request.Digests & 2) != 0;
        _hostAlignment = (request.HostDataAlignment + 1) * 4;
        int n = PduWriter.WriteICResp(output.GetSpan(ICRespPdu.Size), controllerAlignment: 0, headerDigest, dataDigest, (uint)_core.Options.MaxH2CData);
        output.Advance(n);
        _rules.Initialized = true;
        _rules.HeaderDigest = headerDigest;
        _rules.DataDigest = dataDigest;
        return SessionStatus.Continue;
    }

    private SessionStatus HandleTermReq(TermReqPdu request)
    {
        NvmeLog.HostTerminated(_core.Logger, Peer, request.Status, request.Information);
        return SessionStatus.Close;
    }

    private SessionStatus HandleH2CData(DataPduHeader pdu, in PduFrame frame, ReadOnlySpan<byte> header, ReadOnlySequence<byte> data, bool dataOk, IBufferWriter<byte> output)
    {
        if (CheckH2CData(pdu, frame, header, output) is not { } context)
        {
            return SessionStatus.Close;
        }

        if (!dataOk)
        {
            context.DigestError = true;
        }
        else if (context.Namespace is { } ns)
        {
            if (_controller!.IsFailed)
            {
                return SessionStatus.Close;
            }

            if (context.Failure != NvmeStatus.Success || !ns.StillAccepts(context.ByteOffset + pdu.Offset, pdu.Length))
            {
                // Detached or shrunk since the command was checked: the rest of its data is dropped and it fails once, on its last PDU.
                context.Failure = FailureOf(ns);
            }
            else if (ns.Backend.NeedsWholeCommands)
            {
                // The back-end gets the Write once, whole, when its last PDU is in.
                context.Staging ??= ArrayPool<byte>.Shared.Rent(context.TransferLength);
                data.CopyTo(context.Staging.AsSpan((int)pdu.Offset));
            }
            else
            {
                long offset = context.ByteOffset + pdu.Offset;
                foreach (ReadOnlyMemory<byte> segment in data)
                {
                    ns.Backend.Write(offset, segment.Span, context.ForceUnitAccess);
                    offset += segment.Length;
                }
            }
        }
        else
        {
            data.CopyTo(context.Scratch.AsSpan((int)pdu.Offset));
        }

        return FinishH2CData(context, pdu.TransferTag, pdu.Offset + pdu.Length, output);
    }

    /// <summary>
    /// Checks an H2CData header against the R2T it answers (TTAG, CID, DATAO, DATAL, LAST_PDU): the command, or null
    /// after a C2HTermReq was written (the connection then ends). Looks at nothing but the header.
    /// </summary>
    private CommandContext? CheckH2CData(in DataPduHeader pdu, in PduFrame frame, ReadOnlySpan<byte> header, IBufferWriter<byte> output)
    {
        FatalErrorStatus fes = PduValidator.ValidateDataLength(pdu, frame, out uint fei);
        if (fes != FatalErrorStatus.None)
        {
            Fatal(output, fes, fei, header);
            return null;
        }

        // Data only ever answers an R2T of this connection: an unknown tag (data before Connect,
        // data for a read, a stale or forged TTAG) is an invalid header field.
        if (pdu.TransferTag >= _transfers.Length || _transfers[pdu.TransferTag] is not { } context)
        {
            Fatal(output, FatalErrorStatus.InvalidHeaderField, DataPduHeader.TransferTagOffset, header);
            return null;
        }

        if (context.Sqe.CommandId != pdu.CommandId)
        {
            Fatal(output, FatalErrorStatus.InvalidHeaderField, DataPduHeader.CommandIdOffset, header);
            return null;
        }

        ulong end = (ulong)pdu.Offset + pdu.Length;
        if (pdu.Offset != (uint)context.Received || end > (ulong)context.TransferLength)
        {
            Fatal(output, FatalErrorStatus.DataTransferOutOfRange, DataPduHeader.DataOffsetOffset, header);
            return null;
        }

        bool last = end == (ulong)context.TransferLength;
        if (last != ((frame.Flags & PduFlags.LastPdu) != 0))
        {
            Fatal(output, FatalErrorStatus.InvalidHeaderField, PduCommonHeader.FlagsOffset, header);
            return null;
        }

        return context;
    }

    /// <summary>The status a Write ends with when its namespace was detached or shrunk under it.</summary>
    private static ushort FailureOf(NvmeNamespace ns) =>
        (ushort)((ns.IsDetached ? NvmeStatus.InvalidNamespace : NvmeStatus.LbaOutOfRange) | NvmeStatus.DoNotRetry);

    /// <summary>Records that the command's data is in up to <paramref name="end"/>; after its last PDU, runs or completes it.</summary>
    private SessionStatus FinishH2CData(CommandContext context, ushort transferTag, uint end, IBufferWriter<byte> output)
    {
        context.Received = (int)end;
        if (end != (uint)context.TransferLength)
        {
            return SessionStatus.Continue;
        }

        _transfers[transferTag] = null;
        try
        {
            if (context.DigestError)
            {
                Complete(output, context.Sqe.CommandId, NvmeStatus.TransientTransportError);
                return SessionStatus.Continue;
            }

            if (context.Namespace is null)
            {
                return Execute(context.Sqe, new ReadOnlySequence<byte>(context.Scratch, 0, context.TransferLength), output);
            }

            if (context.Failure != NvmeStatus.Success)
            {
                return CompleteError(output, context.Sqe.CommandId, context.Failure);
            }

            ushort status = context.Staging is { } staging
                ? context.Namespace.Backend.Write(context.ByteOffset, staging.AsSpan(0, context.TransferLength), context.ForceUnitAccess)
                : NvmeStatus.Success;
            return status == NvmeStatus.Success
                ? CompleteWrite(output, context.Sqe.CommandId, context.TransferLength, context.Started)
                : CompleteError(output, context.Sqe.CommandId, status);
        }
        finally
        {
            _core.ContextPool.Return(context);
        }
    }

    /// <summary>
    /// An H2CData whose header is in but not all its payload: when it writes a RAM namespace that still accepts the
    /// range, the payload bytes already received are copied into the namespace and the rest is received in place
    /// (<see cref="ContinueInPlaceWrite"/>). Otherwise nothing is consumed, and the PDU is handled whole once it is
    /// in. A header that fails its checks ends the connection here, before any of its payload is looked at.
    /// </summary>
    private SessionStatus TryStartInPlaceWrite(ref ReadOnlySequence<byte> input, in PduFrame frame, Span<byte> header, BlockingSocketPipe pipe, IBufferWriter<byte> output)
    {
        // The header (and its digest) is copied once; only the copy is used from here on.
        input.Slice(0, frame.HeaderLength + frame.HeaderDigestLength).CopyTo(header);
        if (!PduValidator.HeaderDigestMatches(header, frame))
        {
            return Fatal(output, FatalErrorStatus.HeaderDigestError, 0, header[..frame.HeaderLength]);
        }

        DataPduHeader pdu = MemoryMarshal.Read<DataPduHeader>(header);
        if (CheckH2CData(pdu, frame, header[..frame.HeaderLength], output) is not { } context)
        {
            return SessionStatus.Close;
        }

        if (context.Namespace is not { } ns || ns.Backend.InPlaceRegion is not { } region || ns.Backend.NeedsWholeCommands
            || context.DigestError || context.Failure != NvmeStatus.Success)
        {
            return SessionStatus.Continue;
        }

        if (_controller!.IsFailed)
        {
            return SessionStatus.Close;
        }

        long offset = context.ByteOffset + pdu.Offset;
        if (!ns.StillAccepts(offset, pdu.Length))
        {
            // The whole-PDU path records the failure and drops the data.
            return SessionStatus.Continue;
        }

        ReadOnlySequence<byte> received = input.Slice(frame.DataOffset);
        int have = (int)received.Length;
        received.CopyTo(region.GetSpan(offset, have));
        input = input.Slice(input.End);
        _inPlaceWrite = new InPlaceWrite(context, pdu.TransferTag, offset + have, (int)pdu.Length - have, pdu.Offset + pdu.Length);
        return ContinueInPlaceWrite(pipe, output);
    }

    /// <summary>
    /// Receives what the socket has of the in-place payload straight into the namespace, without blocking; the
    /// namespace is checked before every receive (it may have been detached or shrunk while the loop waited outside
    /// <see cref="Process"/>), and once it no longer accepts the range the rest is received into scratch and dropped,
    /// and the command fails on its last PDU. Close when the peer closed mid-payload.
    /// </summary>
    private SessionStatus ContinueInPlaceWrite(BlockingSocketPipe pipe, IBufferWriter<byte> output)
    {
        CommandContext context = _inPlaceWrite.Context!;
        NvmeNamespace ns = context.Namespace!;
        while (_inPlaceWrite.Remaining > 0)
        {
            if (_controller!.IsFailed)
            {
                return SessionStatus.Close;
            }

            long offset = _inPlaceWrite.Offset;
            int remaining = _inPlaceWrite.Remaining;
            Span<byte> destination;
            bool intoNamespace = context.Failure == NvmeStatus.Success && ns.StillAccepts(offset, remaining);
            if (intoNamespace)
            {
                destination = ns.Backend.InPlaceRegion!.GetSpan(offset, remaining);
            }
            else
            {
                context.Failure = context.Failure != NvmeStatus.Success ? context.Failure : FailureOf(ns);
                destination = context.Scratch.AsSpan(0, Math.Min(remaining, context.Scratch.Length));
            }

            int n = pipe.TryReceiveInPlace(destination);
            if (n < 0)
            {
                return SessionStatus.Continue;
            }

            if (n == 0)
            {
                NvmeLog.PeerClosedMidPayload(_core.Logger, Peer, context.Sqe.CommandId, remaining);
                return SessionStatus.Close;
            }

            _inPlaceWrite = _inPlaceWrite with { Offset = offset + n, Remaining = remaining - n };
            _batchInPlaceBytes += intoNamespace ? n : 0;
        }

        InPlaceWrite done = _inPlaceWrite;
        _inPlaceWrite = default;
        return FinishH2CData(context, done.TransferTag, done.End, output);
    }

    /// <summary>Sends a C2HTermReq with the offending header and ends the connection.</summary>
    private SessionStatus Fatal(IBufferWriter<byte> output, FatalErrorStatus status, uint information, ReadOnlySpan<byte> header)
    {
        NvmeLog.FatalTransportError(_core.Logger, Peer, status, information);
        NvmeMetrics.FatalErrors.Add(1);
        int n = PduWriter.WriteTermReq(output.GetSpan(PduValidator.MaxTermReqLength), PduType.C2HTermReq, status, information, header);
        output.Advance(n);
        _closed = true;
        return SessionStatus.Close;
    }

    /// <summary>Writes a response capsule.</summary>
    private void Complete(IBufferWriter<byte> output, ushort commandId, ushort status, ulong result = 0)
    {
        if (status != NvmeStatus.Success)
        {
            NvmeMetrics.CommandErrors.Add(1);
        }

        var cqe = new CompletionQueueEntry
        {
            Dword0And1 = result,
            SubmissionQueueHead = _sqFlowDisabled ? (ushort)0 : _sqHead,
            SubmissionQueueId = (ushort)_qid,
            CommandId = commandId,
            Status = NvmeStatus.ToCqe(status),
        };
        int n = PduWriter.WriteCapsuleResponse(output.GetSpan(PduCommonHeader.Size + CompletionQueueEntry.Size + 4), cqe, _rules.HeaderDigest);
        output.Advance(n);
    }

    /// <summary>
    /// Sends <paramref name="length"/> bytes to the host in C2HData PDUs, from a namespace (sent in place from a
    /// RAM namespace's region, see <see cref="Process"/>, else copied from the back-end into the socket buffer) or
    /// from <paramref name="buffer"/>,
    /// then completes the command: with the SUCCESS flag on the last PDU when the host disabled
    /// SQ flow control (no CQE needs its SQHD), otherwise with a response capsule.
    /// </summary>
    private void SendData(IBufferWriter<byte> output, ushort commandId, NvmeNamespace? ns, long offset, ReadOnlySpan<byte> buffer, int length)
    {
        bool headerDigest = _rules.HeaderDigest;
        bool dataDigest = _rules.DataDigest;
        bool success = _sqFlowDisabled;
        int pdo = PduWriter.DataOffsetFor(DataPduHeader.Size, headerDigest, _hostAlignment);
        BlockingSocketPipe? pipe = output as BlockingSocketPipe;
        DmaRegion? region = ns is not null && pipe is not null && !dataDigest && length >= InPlaceSendThreshold ? ns.Backend.InPlaceRegion : null;
        int sent = 0;
        while (sent < length)
        {
            int chunk = Math.Min(length - sent, C2HChunk);
            bool last = sent + chunk == length;
            PduFlags flags = last ? PduFlags.LastPdu | (success ? PduFlags.Success : 0) : PduFlags.None;
            PduWriter.WriteDataHeader(output.GetSpan(pdo), PduType.C2HData, flags, commandId, 0, (uint)sent, chunk, headerDigest, dataDigest, _hostAlignment);
            output.Advance(pdo);
            if (region is not null)
            {
                // Sent from the namespace's region after this header, which holds it mapped until then.
                pipe!.AppendInPlace(region, offset + sent, chunk);
                _batchInPlaceBytes += chunk;
                sent += chunk;
                continue;
            }

            uint crc = 0;
            for (int done = 0; done < chunk;)
            {
                Span<byte> destination = output.GetSpan(Math.Min(chunk - done, CopyChunk));
                int n = Math.Min(destination.Length, chunk - done);
                destination = destination[..n];
                if (ns is not null)
                {
                    ns.Backend.Read(offset + sent + done, destination);
                }
                else
                {
                    buffer.Slice(sent + done, n).CopyTo(destination);
                }

                if (dataDigest)
                {
                    crc = Crc32C.Append(crc, destination);
                }

                output.Advance(n);
                done += n;
            }

            if (dataDigest)
            {
                Span<byte> digest = output.GetSpan(4);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(digest, crc);
                output.Advance(4);
            }

            sent += chunk;
        }

        if (!success)
        {
            Complete(output, commandId, NvmeStatus.Success);
        }
    }

    /// <summary>
    /// An H2CData payload being received in place: the command, its R2T's tag, the namespace byte offset of the next
    /// byte, the bytes still to come, and the DATAO + DATAL the PDU ends at.
    /// </summary>
    [StructLayout(LayoutKind.Auto)]
    private readonly record struct InPlaceWrite(CommandContext? Context, ushort TransferTag, long Offset, int Remaining, uint End);
}
