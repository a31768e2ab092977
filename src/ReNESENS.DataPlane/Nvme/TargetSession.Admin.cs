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

                // Held until an event (a namespace attached, detached or resized; a discovery log change), or the controller's end.
                _asyncEvents.Add(sqe.CommandId);
                PostAsyncEvents(output);
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

        bool known = (lid, controller.Subsystem.IsDiscovery) is (NvmeOpcodes.LogDiscovery, true) or (NvmeOpcodes.LogError or NvmeOpcodes.LogSmart or NvmeOpcodes.LogChangedNamespaces, false);
        if (!known)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidLogPage | NvmeStatus.DoNotRetry);
        }

        // Retain Asynchronous Event (CDW10 bit 15): the read does not unmask the event type it answers.
        bool retain = (sqe.Dword10 & (1u << 15)) != 0;
        byte[] page = lid switch
        {
            NvmeOpcodes.LogDiscovery => AdminPages.Discovery(_core, controller.HostNqn),
            NvmeOpcodes.LogError => new byte[64],
            NvmeOpcodes.LogSmart => AdminPages.Smart(controller.Subsystem),
            _ => new byte[NvmeController.ChangedNamespaceListCapacity * 4],
        };
        if ((offset & 3) != 0 || offset >= (ulong)page.Length)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidField | NvmeStatus.DoNotRetry);
        }

        // Read (and so cleared) only once the command is known to be valid.
        if (lid == NvmeOpcodes.LogChangedNamespaces)
        {
            page = controller.ReadChangedNamespaces(retain);
        }
        else if (lid == NvmeOpcodes.LogDiscovery)
        {
            controller.DiscoveryLogRead(retain);
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
                // Only the notices this controller reports in OAES are kept (Get Features reads back what is enabled).
                controller.AsyncEventConfiguration = sqe.Dword11 & (controller.Subsystem.IsDiscovery ? NvmeController.AecDiscoveryLogChange : NvmeController.AecNamespaceAttribute);
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

    /// <summary>Completes held Asynchronous Event Requests, oldest first, with queued events while both are there.</summary>
    private void PostAsyncEvents(IBufferWriter<byte> output)
    {
        NvmeController controller = _controller!;
        while (_asyncEvents.Count > 0 && controller.TryTakeEvent(out uint dword0))
        {
            ushort commandId = _asyncEvents[0];
            _asyncEvents.RemoveAt(0);
            NvmeMetrics.AsyncEvents.Add(1);
            Complete(output, commandId, NvmeStatus.Success, dword0);
        }
    }

    private static uint QueueCountValue(NvmeController controller) => (uint)(controller.IoQueueCount - 1) * 0x10001u;

    private SessionStatus Answer(IBufferWriter<byte> output, ushort commandId, uint dword0)
    {
        Complete(output, commandId, NvmeStatus.Success, dword0);
        return SessionStatus.Continue;
    }
}
