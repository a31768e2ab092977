using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>Command capsules: data descriptors, R2T, and dispatch to the fabrics, admin and NVM handlers.</summary>
internal sealed partial class TargetSession
{
    /// <summary>Generic: SGL offset invalid.</summary>
    private const ushort SglOffsetInvalid = 0x016;

    /// <summary>Size of the Connect command's data.</summary>
    private const int ConnectDataSize = 1024;

    private SessionStatus HandleCapsule(SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, bool dataOk, IBufferWriter<byte> output)
    {
        _batchCommands++;
        if (_controller is not null)
        {
            _sqHead = (ushort)((_sqHead + 1) % _queueDepth);
        }

        if (!dataOk)
        {
            Complete(output, sqe.CommandId, NvmeStatus.TransientTransportError);
            return SessionStatus.Continue;
        }

        if (sqe.Opcode == NvmeOpcodes.Write && _qid != 0 && _controller is not null)
        {
            ushort check = CheckReadWrite(sqe, out _, out _, out _);
            if (check != NvmeStatus.Success)
            {
                return CompleteError(output, sqe.CommandId, check);
            }
        }

        int hostData = HostDataLength(sqe);
        if (hostData < 0)
        {
            // Controller-to-host or no data: in-capsule data makes no sense here.
            return data.IsEmpty ? Execute(sqe, default, output) : CompleteError(output, sqe.CommandId, NvmeStatus.SglTypeInvalid);
        }

        if (sqe.SglIdentifier == SubmissionQueueEntry.SglInCapsule)
        {
            if (sqe.SglAddress > (ulong)data.Length)
            {
                return CompleteError(output, sqe.CommandId, SglOffsetInvalid);
            }

            if (sqe.SglLength != (uint)hostData || (ulong)data.Length - sqe.SglAddress < sqe.SglLength)
            {
                return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid);
            }

            ReadOnlySequence<byte> payload = data.Slice((long)sqe.SglAddress, sqe.SglLength);
            return sqe.Opcode == NvmeOpcodes.Write && _qid != 0 ? ExecuteWrite(sqe, payload, output) : Execute(sqe, payload, output);
        }

        if (sqe.SglIdentifier != SubmissionQueueEntry.SglTransport || !data.IsEmpty)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglTypeInvalid);
        }

        if (sqe.SglLength != (uint)hostData)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid);
        }

        return hostData == 0 ? Execute(sqe, default, output) : RequestData(sqe, hostData, output);
    }

    /// <summary>
    /// How many bytes of host data the command carries, or -1 when it carries none (the
    /// command's own checks then run on an empty payload). Writes are checked here first so that
    /// no R2T is sent for a command that will fail.
    /// </summary>
    private int HostDataLength(in SubmissionQueueEntry sqe)
    {
        if (sqe.Opcode == NvmeOpcodes.Fabrics)
        {
            return sqe.FabricsType == NvmeOpcodes.Connect ? ConnectDataSize : -1;
        }

        if (_qid == 0 || _controller is null)
        {
            return -1;
        }

        return sqe.Opcode switch
        {
            NvmeOpcodes.Write => (int)Math.Min(((sqe.Dword12 & 0xFFFF) + 1UL) << (FindNamespace(sqe)?.BlockShift ?? 9), int.MaxValue),
            NvmeOpcodes.DatasetManagement => (int)((sqe.Dword10 & 0xFF) + 1) * 16,
            _ => -1,
        };
    }

    private SessionStatus RequestData(in SubmissionQueueEntry sqe, int length, IBufferWriter<byte> output)
    {
        NvmeNamespace? ns = null;
        long byteOffset = 0;
        if (sqe.Opcode == NvmeOpcodes.Write && _qid != 0)
        {
            ushort status = CheckReadWrite(sqe, out ns, out byteOffset, out _);
            if (status != NvmeStatus.Success)
            {
                return CompleteError(output, sqe.CommandId, status);
            }
        }
        else if (length > CommandContext.ScratchSize)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid);
        }

        int tag = Array.IndexOf(_transfers, null);
        if (tag < 0)
        {
            NvmeMetrics.SlotsExhausted.Add(1);
            return CompleteError(output, sqe.CommandId, NvmeStatus.CommandSequenceError);
        }

        CommandContext context = _core.ContextPool.Get();
        context.Sqe = sqe;
        context.TransferLength = length;
        context.Namespace = ns;
        context.ByteOffset = byteOffset;
        context.ForceUnitAccess = (sqe.Dword12 & (1u << 30)) != 0;
        context.Started = Stopwatch.GetTimestamp();
        _transfers[tag] = context;
        int n = PduWriter.WriteR2T(output.GetSpan(DataPduHeader.Size + 4), sqe.CommandId, (ushort)tag, 0, (uint)length, _rules.HeaderDigest);
        output.Advance(n);
        return SessionStatus.Continue;
    }

    /// <summary>Runs a command whose host data (if any) is all here.</summary>
    private SessionStatus Execute(in SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        if (sqe.Opcode == NvmeOpcodes.Fabrics)
        {
            return ExecuteFabrics(sqe, data, output);
        }

        if (_controller is null)
        {
            // Only Connect may come first on a queue.
            return CompleteError(output, sqe.CommandId, NvmeStatus.CommandSequenceError | NvmeStatus.DoNotRetry);
        }

        return _qid == 0 ? ExecuteAdmin(sqe, output) : ExecuteIo(sqe, data, output);
    }

    private SessionStatus CompleteError(IBufferWriter<byte> output, ushort commandId, ushort status)
    {
        Complete(output, commandId, status);
        return SessionStatus.Continue;
    }

    private SessionStatus ExecuteFabrics(in SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        switch (sqe.FabricsType)
        {
            case NvmeOpcodes.Connect:
                return Connect(sqe, data, output);
            case NvmeOpcodes.PropertyGet when _qid == 0 && _controller is not null:
                return PropertyGet(sqe, output);
            case NvmeOpcodes.PropertySet when _qid == 0 && _controller is not null:
                return PropertySet(sqe, output);
            case NvmeOpcodes.Disconnect when _controller is not null && _qid != 0:
                Complete(output, sqe.CommandId, NvmeStatus.Success);
                return SessionStatus.Close;
            case NvmeOpcodes.PropertyGet or NvmeOpcodes.PropertySet or NvmeOpcodes.Disconnect when _controller is null:
                return CompleteError(output, sqe.CommandId, NvmeStatus.CommandSequenceError | NvmeStatus.DoNotRetry);
            default:
                return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidOpcode | NvmeStatus.DoNotRetry);
        }
    }

    private SessionStatus Connect(in SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        if (_controller is not null)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.CommandSequenceError | NvmeStatus.DoNotRetry);
        }

        ushort recfmt = (ushort)sqe.Dword10;
        ushort qid = (ushort)(sqe.Dword10 >> 16);
        int sqSize = (int)(sqe.Dword11 & 0xFFFF);
        byte attributes = (byte)(sqe.Dword11 >> 16);
        uint kato = sqe.Dword12;
        if (recfmt != 0)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.ConnectIncompatibleFormat | NvmeStatus.DoNotRetry);
        }

        if (sqSize < 1 || sqSize >= _core.Options.MaxQueueDepth)
        {
            return ConnectInvalid(output, sqe.CommandId, inData: false, offset: 44);
        }

        Span<byte> connectData = stackalloc byte[ConnectDataSize];
        data.CopyTo(connectData);
        var hostId = new Guid(connectData[..16], bigEndian: true);
        ushort controllerId = BitConverter.ToUInt16(connectData[16..18]);
        string subsystemNqn = ReadNqn(connectData.Slice(256, 256));
        string hostNqn = ReadNqn(connectData.Slice(512, 256));
        NvmeSubsystem? subsystem = _core.FindSubsystem(subsystemNqn);
        if (subsystem is null)
        {
            NvmeLog.UnknownSubsystem(_core.Logger, Peer, hostNqn, subsystemNqn);
            return ConnectInvalid(output, sqe.CommandId, inData: true, offset: 256);
        }

        if (hostNqn.Length == 0)
        {
            return ConnectInvalid(output, sqe.CommandId, inData: true, offset: 512);
        }

        if (!subsystem.IsHostAllowed(hostNqn))
        {
            NvmeLog.HostNotAllowed(_core.Logger, Peer, hostNqn, subsystemNqn);
            return CompleteError(output, sqe.CommandId, NvmeStatus.ConnectInvalidHost | NvmeStatus.DoNotRetry);
        }

        NvmeController controller;
        if (qid == 0)
        {
            if (controllerId != 0xFFFF)
            {
                // Only dynamic controllers: the host must ask for one.
                return ConnectInvalid(output, sqe.CommandId, inData: true, offset: 16);
            }

            NvmeController? created = _core.CreateController(subsystem, hostNqn, hostId, kato);
            if (created is null)
            {
                return CompleteError(output, sqe.CommandId, NvmeStatus.ConnectControllerBusy);
            }

            controller = created;
            controller.AdminSession = this;
        }
        else
        {
            NvmeController? existing = _core.FindController(controllerId);
            if (existing is null || existing.Subsystem != subsystem || existing.HostNqn != hostNqn || existing.HostId != hostId || subsystem.IsDiscovery)
            {
                return ConnectInvalid(output, sqe.CommandId, inData: true, offset: 16);
            }

            if (!existing.IsEnabled)
            {
                return CompleteError(output, sqe.CommandId, NvmeStatus.CommandSequenceError | NvmeStatus.DoNotRetry);
            }

            if (!existing.TryAttach(qid, this))
            {
                return ConnectInvalid(output, sqe.CommandId, inData: false, offset: 42);
            }

            controller = existing;
        }

        _controller = controller;
        _qid = qid;
        _queueDepth = sqSize + 1;
        _sqHead = (ushort)(1 % _queueDepth);
        _sqFlowDisabled = (attributes & 0x04) != 0;
        _transfers = new CommandContext?[_queueDepth];
        NvmeLog.QueueConnected(_core.Logger, hostNqn, qid, _queueDepth, controller.Id, subsystem.Nqn, Peer);
        Complete(output, sqe.CommandId, NvmeStatus.Success, controller.Id);
        return SessionStatus.Continue;
    }

    /// <summary>Connect Invalid Parameters with IATTR (0 command, 1 data) and IPO (byte offset) in DW0.</summary>
    private SessionStatus ConnectInvalid(IBufferWriter<byte> output, ushort commandId, bool inData, ushort offset)
    {
        Complete(output, commandId, NvmeStatus.ConnectInvalidParameters | NvmeStatus.DoNotRetry, (inData ? 1u : 0u) | ((uint)offset << 16));
        return SessionStatus.Continue;
    }

    private static string ReadNqn(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private SessionStatus PropertyGet(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        bool eightBytes = (sqe.Dword10 & 7) == 1;
        NvmeController controller = _controller!;
        ulong value;
        switch (sqe.Dword11)
        {
            case NvmeOpcodes.PropertyCap:
                // MQES, CQR, TO = 15 (7.5 s), CSS bit 37 (NVM command set), MPSMIN = MPSMAX = 0 (4 KiB).
                value = (ulong)(_core.Options.MaxQueueDepth - 1) | (1UL << 16) | (15UL << 24) | (1UL << 37);
                break;
            case NvmeOpcodes.PropertyVs when !eightBytes:
                value = 0x00020000;
                break;
            case NvmeOpcodes.PropertyCc when !eightBytes:
                value = controller.ControllerConfiguration;
                break;
            case NvmeOpcodes.PropertyCsts when !eightBytes:
                value = controller.ControllerStatus;
                break;
            default:
                return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
        }

        Complete(output, sqe.CommandId, NvmeStatus.Success, eightBytes ? value : (uint)value);
        return SessionStatus.Continue;
    }

    private SessionStatus PropertySet(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        if (sqe.Dword11 != NvmeOpcodes.PropertyCc || (sqe.Dword10 & 7) != 0)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
        }

        NvmeController controller = _controller!;
        uint cc = (uint)sqe.Dword12And13;
        uint old = controller.ControllerConfiguration;
        controller.ControllerConfiguration = cc;
        if ((cc & NvmeController.CcEnable) != 0 && (old & NvmeController.CcEnable) == 0)
        {
            // Enable: I/O queue entry sizes must be the 64/16 bytes of NVMe (IOSQES 6, IOCQES 4).
            bool sizesOk = controller.Subsystem.IsDiscovery || (((cc >> 16) & 0xF) == 6 && ((cc >> 20) & 0xF) == 4);
            bool cssOk = ((cc >> 4) & 7) == 0;
            controller.ControllerStatus = sizesOk && cssOk ? NvmeController.CstsReady : NvmeController.CstsFatal;
        }
        else if ((cc & NvmeController.CcEnable) == 0 && (old & NvmeController.CcEnable) != 0)
        {
            // Reset: I/O queues go away, the admin queue stays; held Asynchronous Event Requests are gone with the reset.
            controller.CloseIoQueues();
            _asyncEvents.Clear();
            controller.ControllerStatus = 0;
        }

        if (((cc >> 14) & 3) != 0)
        {
            // Shutdown notification: make every write durable, then report shutdown complete.
            foreach (NvmeNamespace ns in controller.Subsystem.Namespaces)
            {
                ns.Backend.Flush();
            }

            controller.ControllerStatus = (controller.ControllerStatus & ~(3u << 2)) | NvmeController.CstsShutdownComplete;
        }

        Complete(output, sqe.CommandId, NvmeStatus.Success);
        return SessionStatus.Continue;
    }

    private NvmeNamespace? FindNamespace(in SubmissionQueueEntry sqe) => _controller?.Subsystem.Find(sqe.NamespaceId);
}
