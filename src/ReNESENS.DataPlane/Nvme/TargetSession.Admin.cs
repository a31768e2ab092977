using System.Buffers;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>Admin commands: Identify, Get Log Page, Set/Get Features, Keep Alive, Asynchronous Event Request.</summary>
internal sealed partial class TargetSession
{
    private SessionStatus ExecuteAdmin(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        NvmeController controller = _controller!;
        if (!controller.IsEnabled && sqe.Opcode != NvmeOpcodes.KeepAlive)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.CommandSequenceError | NvmeStatus.DoNotRetry);
        }

        switch (sqe.Opcode)
        {
            case NvmeOpcodes.Identify:
                return Identify(sqe, output);
            case NvmeOpcodes.GetLogPage:
                return GetLogPage(sqe, output);
            case NvmeOpcodes.SetFeatures:
                return SetFeatures(sqe, output);
            case NvmeOpcodes.GetFeatures:
                return GetFeatures(sqe, output);
            case NvmeOpcodes.KeepAlive:
                controller.TouchKeepAlive();
                return CompleteError(output, sqe.CommandId, NvmeStatus.Success);
            case NvmeOpcodes.AsyncEventRequest:
                if (_asyncEvents.Count >= NvmeController.MaxAsyncEvents)
                {
                    return CompleteError(output, sqe.CommandId, NvmeStatus.AsyncEventLimitExceeded | NvmeStatus.DoNotRetry);
                }

                // Held until an event: the target changes no namespace while it runs, so none completes before the controller ends.
                _asyncEvents.Add(sqe.CommandId);
                return SessionStatus.Continue;
            default:
                return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidOpcode | NvmeStatus.DoNotRetry);
        }
    }

    private SessionStatus Identify(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        if (sqe.SglIdentifier != SubmissionQueueEntry.SglTransport)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglTypeInvalid | NvmeStatus.DoNotRetry);
        }

        if (sqe.SglLength != AdminPages.IdentifySize)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid | NvmeStatus.DoNotRetry);
        }

        NvmeController controller = _controller!;
        NvmeSubsystem subsystem = controller.Subsystem;
        byte[] page = new byte[AdminPages.IdentifySize];
        uint nsid = sqe.NamespaceId;
        switch (sqe.Dword10 & 0xFF)
        {
            case 0x00 when !subsystem.IsDiscovery:
                if (nsid == 0 || nsid > subsystem.MaxNamespaceId)
                {
                    return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry);
                }

                if (subsystem.Find(nsid) is { } ns)
                {
                    AdminPages.IdentifyNamespace(page, ns);
                }

                break;
            case 0x01:
                AdminPages.IdentifyController(page, controller, _core.Options);
                break;
            case 0x02 when !subsystem.IsDiscovery:
                if (nsid >= 0xFFFFFFFE)
                {
                    return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry);
                }

                AdminPages.ActiveNamespaces(page, subsystem, nsid);
                break;
            case 0x03 when !subsystem.IsDiscovery:
                if (subsystem.Find(nsid) is not { } described)
                {
                    return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry);
                }

                AdminPages.NamespaceDescriptors(page, described);
                break;
            default:
                return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
        }

        SendData(output, sqe.CommandId, null, 0, page, page.Length);
        return SessionStatus.Continue;
    }

    private SessionStatus GetLogPage(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        NvmeController controller = _controller!;
        byte lid = (byte)sqe.Dword10;
        long length = (((long)(sqe.Dword11 & 0xFFFF) << 16 | (sqe.Dword10 >> 16)) + 1) * 4;
        ulong offset = sqe.Dword12And13;
        if (sqe.SglIdentifier != SubmissionQueueEntry.SglTransport)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglTypeInvalid | NvmeStatus.DoNotRetry);
        }

        if (length > _core.Options.MaxDataTransferSize || sqe.SglLength != (ulong)length)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid | NvmeStatus.DoNotRetry);
        }

        byte[]? page = (lid, controller.Subsystem.IsDiscovery) switch
        {
            (NvmeOpcodes.LogDiscovery, true) => AdminPages.Discovery(_core, controller.HostNqn),
            (NvmeOpcodes.LogError, false) => new byte[64],
            (NvmeOpcodes.LogSmart, false) => AdminPages.Smart(controller.Subsystem),
            (NvmeOpcodes.LogChangedNamespaces, false) => new byte[4096],
            _ => null,
        };
        if (page is null)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidLogPage | NvmeStatus.DoNotRetry);
        }

        if ((offset & 3) != 0 || offset >= (ulong)page.Length)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
        }

        // Bytes past the end of the page read as zeros.
        byte[] data = new byte[length];
        page.AsSpan((int)offset, (int)Math.Min(length, page.Length - (long)offset)).CopyTo(data);
        SendData(output, sqe.CommandId, null, 0, data, data.Length);
        return SessionStatus.Continue;
    }

    private SessionStatus SetFeatures(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        NvmeController controller = _controller!;
        if ((sqe.Dword10 & 0x80000000) != 0)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.FeatureNotSaveable | NvmeStatus.DoNotRetry);
        }

        switch ((byte)sqe.Dword10)
        {
            case NvmeOpcodes.FeatureNumberOfQueues when !controller.Subsystem.IsDiscovery:
                uint nsqr = sqe.Dword11 & 0xFFFF;
                uint ncqr = sqe.Dword11 >> 16;
                if (nsqr == 0xFFFF || ncqr == 0xFFFF)
                {
                    return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
                }

                if (!controller.IoQueueCountSet)
                {
                    controller.IoQueueCount = (int)Math.Min(Math.Max(nsqr, ncqr) + 1, (uint)_core.Options.MaxIoQueues);
                    controller.IoQueueCountSet = true;
                }

                return Answer(output, sqe.CommandId, QueueCountValue(controller));
            case NvmeOpcodes.FeatureKeepAliveTimer:
                controller.KeepAliveTimeoutMs = sqe.Dword11;
                controller.TouchKeepAlive();
                return Answer(output, sqe.CommandId, 0);
            case NvmeOpcodes.FeatureAsyncEventConfig:
                controller.AsyncEventConfiguration = sqe.Dword11;
                return Answer(output, sqe.CommandId, 0);
            default:
                return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
        }
    }

    private SessionStatus GetFeatures(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        NvmeController controller = _controller!;
        return (byte)sqe.Dword10 switch
        {
            NvmeOpcodes.FeatureNumberOfQueues when !controller.Subsystem.IsDiscovery => Answer(output, sqe.CommandId, QueueCountValue(controller)),
            NvmeOpcodes.FeatureKeepAliveTimer => Answer(output, sqe.CommandId, controller.KeepAliveTimeoutMs),
            NvmeOpcodes.FeatureAsyncEventConfig => Answer(output, sqe.CommandId, controller.AsyncEventConfiguration),
            _ => CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry),
        };
    }

    private static uint QueueCountValue(NvmeController controller) => (uint)(controller.IoQueueCount - 1) * 0x10001u;

    private SessionStatus Answer(IBufferWriter<byte> output, ushort commandId, uint dword0)
    {
        Complete(output, commandId, NvmeStatus.Success, dword0);
        return SessionStatus.Continue;
    }
}
