using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>NVM commands: Read, Write, Flush, Write Zeroes, Dataset Management.</summary>
internal sealed partial class TargetSession
{
    private SessionStatus ExecuteIo(in SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        switch (sqe.Opcode)
        {
            case NvmeOpcodes.Read:
                return ExecuteRead(sqe, output);
            case NvmeOpcodes.Write:
                return ExecuteWrite(sqe, data, output);
            case NvmeOpcodes.Flush:
                return ExecuteFlush(sqe, output);
            case NvmeOpcodes.WriteZeroes:
                {
                    ushort status = CheckRange(sqe, out NvmeNamespace? ns, out long offset, out long length);
                    if (status == NvmeStatus.Success)
                    {
                        if (_controller!.IsFailed)
                        {
                            return SessionStatus.Close;
                        }

                        status = ns!.Backend.WriteZeroes(offset, length);
                    }

                    return CompleteError(output, sqe.CommandId, status);
                }

            case NvmeOpcodes.DatasetManagement:
                return ExecuteDatasetManagement(sqe, data, output);
            default:
                return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidOpcode | NvmeStatus.DoNotRetry);
        }
    }

    /// <summary>Checks NSID and LBA range of a Read or Write, and its size against MDTS.</summary>
    private ushort CheckReadWrite(in SubmissionQueueEntry sqe, out NvmeNamespace? ns, out long byteOffset, out int byteLength)
    {
        ushort status = CheckRange(sqe, out ns, out byteOffset, out long length);
        byteLength = (int)Math.Min(length, int.MaxValue);
        if (status == NvmeStatus.Success && length > _core.Options.MaxDataTransferSize)
        {
            return NvmeStatus.InvalidField | NvmeStatus.DoNotRetry;
        }

        return status;
    }

    /// <summary>Checks NSID and the LBA range SLBA (CDW10..11), NLB (CDW12 bits 15:0, 0's based).</summary>
    private ushort CheckRange(in SubmissionQueueEntry sqe, out NvmeNamespace? ns, out long byteOffset, out long byteLength)
    {
        byteOffset = 0;
        byteLength = 0;
        ns = FindNamespace(sqe);
        if (ns is null)
        {
            return NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry;
        }

        ulong slba = sqe.Dword10And11;
        ulong blocks = (sqe.Dword12 & 0xFFFF) + 1UL;
        if (!ns.Contains(slba, blocks))
        {
            return NvmeStatus.LbaOutOfRange | NvmeStatus.DoNotRetry;
        }

        byteOffset = (long)(slba << ns.BlockShift);
        byteLength = (long)(blocks << ns.BlockShift);
        return NvmeStatus.Success;
    }

    private SessionStatus ExecuteRead(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        long started = Stopwatch.GetTimestamp();
        ushort status = CheckReadWrite(sqe, out NvmeNamespace? ns, out long offset, out int length);
        if (status != NvmeStatus.Success)
        {
            return CompleteError(output, sqe.CommandId, status);
        }

        if (sqe.SglIdentifier != SubmissionQueueEntry.SglTransport)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglTypeInvalid | NvmeStatus.DoNotRetry);
        }

        if (sqe.SglLength != (uint)length)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid | NvmeStatus.DoNotRetry);
        }

        if (ns!.Backend.NeedsWholeCommands)
        {
            // A checking back-end reads first: a failed check completes with its status and sends no data.
            byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                status = ns.Backend.Read(offset, buffer.AsSpan(0, length));
                if (status != NvmeStatus.Success)
                {
                    return CompleteError(output, sqe.CommandId, status);
                }

                SendData(output, sqe.CommandId, null, 0, buffer.AsSpan(0, length), length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        else
        {
            SendData(output, sqe.CommandId, ns, offset, default, length);
        }

        _batchReads++;
        _batchReadBytes += length;
        NvmeMetrics.IoDuration.Record(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        return SessionStatus.Continue;
    }

    /// <summary>A Write whose data came in the capsule: straight from the socket buffer into the namespace.</summary>
    private SessionStatus ExecuteWrite(in SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        long started = Stopwatch.GetTimestamp();
        ushort status = CheckReadWrite(sqe, out NvmeNamespace? ns, out long offset, out int length);
        if (status != NvmeStatus.Success)
        {
            return CompleteError(output, sqe.CommandId, status);
        }

        if (data.Length != length)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.SglLengthInvalid | NvmeStatus.DoNotRetry);
        }

        if (_controller!.IsFailed)
        {
            return SessionStatus.Close;
        }

        bool fua = (sqe.Dword12 & (1u << 30)) != 0;
        if (!data.IsSingleSegment && ns!.Backend.NeedsWholeCommands)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                data.CopyTo(buffer);
                status = ns.Backend.Write(offset, buffer.AsSpan(0, length), fua);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return status == NvmeStatus.Success ? CompleteWrite(output, sqe.CommandId, length, started) : CompleteError(output, sqe.CommandId, status);
        }

        foreach (ReadOnlyMemory<byte> segment in data)
        {
            status = ns!.Backend.Write(offset, segment.Span, fua);
            if (status != NvmeStatus.Success)
            {
                return CompleteError(output, sqe.CommandId, status);
            }

            offset += segment.Length;
        }

        return CompleteWrite(output, sqe.CommandId, length, started);
    }

    private SessionStatus CompleteWrite(IBufferWriter<byte> output, ushort commandId, int length, long started)
    {
        NvmeMetrics.IoDuration.Record(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        _batchWrites++;
        _batchWriteBytes += length;
        Complete(output, commandId, NvmeStatus.Success);
        return SessionStatus.Continue;
    }

    private SessionStatus ExecuteFlush(in SubmissionQueueEntry sqe, IBufferWriter<byte> output)
    {
        NvmeSubsystem subsystem = _controller!.Subsystem;
        if (sqe.NamespaceId == 0xFFFFFFFF)
        {
            foreach (NvmeNamespace each in subsystem.Namespaces)
            {
                each.Backend.Flush();
            }

            return CompleteError(output, sqe.CommandId, NvmeStatus.Success);
        }

        if (FindNamespace(sqe) is not { } ns)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry);
        }

        ns.Backend.Flush();
        return CompleteError(output, sqe.CommandId, NvmeStatus.Success);
    }

    /// <summary>Dataset Management: with AD (CDW11 bit 2) each range is deallocated, and deallocated blocks read as zeros (DLFEAT).</summary>
    private SessionStatus ExecuteDatasetManagement(in SubmissionQueueEntry sqe, ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        if (FindNamespace(sqe) is not { } ns)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.InvalidNamespace | NvmeStatus.DoNotRetry);
        }

        if ((sqe.Dword11 & 4) == 0)
        {
            return CompleteError(output, sqe.CommandId, NvmeStatus.Success);
        }

        Span<byte> ranges = stackalloc byte[256 * 16];
        ranges = ranges[..(int)data.Length];
        data.CopyTo(ranges);
        for (int i = 0; i < ranges.Length; i += 16)
        {
            ulong blocks = BinaryPrimitives.ReadUInt32LittleEndian(ranges[(i + 4)..]);
            ulong slba = BinaryPrimitives.ReadUInt64LittleEndian(ranges[(i + 8)..]);
            if (!ns.Contains(slba, blocks))
            {
                return CompleteError(output, sqe.CommandId, NvmeStatus.LbaOutOfRange | NvmeStatus.DoNotRetry);
            }
        }

        if (_controller!.IsFailed)
        {
            return SessionStatus.Close;
        }

        for (int i = 0; i < ranges.Length; i += 16)
        {
            ulong blocks = BinaryPrimitives.ReadUInt32LittleEndian(ranges[(i + 4)..]);
            ulong slba = BinaryPrimitives.ReadUInt64LittleEndian(ranges[(i + 8)..]);
            ushort status = ns.Backend.WriteZeroes((long)(slba << ns.BlockShift), (long)(blocks << ns.BlockShift));
            if (status != NvmeStatus.Success)
            {
                return CompleteError(output, sqe.CommandId, status);
            }
        }

        return CompleteError(output, sqe.CommandId, NvmeStatus.Success);
    }
}
