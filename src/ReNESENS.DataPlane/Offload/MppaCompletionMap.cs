using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// Turns a device completion into the <see cref="OffloadCompletion"/> of the operation its cookie named.
/// The completion comes from outside (a board, or a runtime with bugs): every number in it is checked
/// against what the operation allows — bytes produced within the destination, a CRC within its width, a
/// failing PI block inside the run, PI values within their fields — and anything else, like a status
/// outside the ABI or an answer the operation cannot have, is a device failure that software redoes.
/// </summary>
internal static class MppaCompletionMap
{
    /// <summary>Maps <paramref name="c"/> for <paramref name="op"/>; false when it is a device failure (or an answer the host cannot accept).</summary>
    internal static bool TryMap(in MppaSlotOp op, in DpuCompletion c, out OffloadCompletion done)
    {
        OffloadOpKind kind = op.Kind;
        done = default;
        switch ((DpuStatus)c.Status)
        {
            case DpuStatus.Ok:
                return TryMapSuccess(op, c, out done);
            case DpuStatus.NoSpace when kind is OffloadOpKind.Lz4Compress or OffloadOpKind.WriteChain:
                done = new OffloadCompletion(op.UserData, kind, OffloadStatus.DestinationTooSmall, 0, 0, -1, 0, 0);
                return true;
            case DpuStatus.Corrupt when kind is OffloadOpKind.Lz4Decompress or OffloadOpKind.ReadChain:
                done = new OffloadCompletion(op.UserData, kind, OffloadStatus.CorruptData, 0, 0, -1, 0, 0);
                return true;
            case DpuStatus.Authentication when kind is OffloadOpKind.GcmOpen:
                done = new OffloadCompletion(op.UserData, kind, OffloadStatus.AuthenticationFailed, 0, 0, -1, 0, 0);
                return true;
            case DpuStatus.ProtectionInformation when kind is OffloadOpKind.PiVerify
                || (kind is OffloadOpKind.ReadChain && (op.Steps & OffloadChainSteps.ProtectionInformation) != 0):
                return TryMapPiError(op, c, out done);
            default:
                return false;
        }
    }

    private static bool TryMapSuccess(in MppaSlotOp op, in DpuCompletion c, out OffloadCompletion done)
    {
        OffloadOpKind kind = op.Kind;
        int bytes;
        ulong value = 0;
        switch (kind)
        {
            case OffloadOpKind.Crc32C:
            case OffloadOpKind.Crc64Nvme:
            case OffloadOpKind.Crc16T10Dif:
                bytes = 0;
                value = c.Result;
                if (value > (kind == OffloadOpKind.Crc32C ? uint.MaxValue : kind == OffloadOpKind.Crc16T10Dif ? ushort.MaxValue : ulong.MaxValue))
                {
                    done = default;
                    return false;
                }

                break;
            case OffloadOpKind.PiGenerate:
            case OffloadOpKind.PiVerify:
                bytes = 0;
                break;
            case OffloadOpKind.Lz4Compress:
            case OffloadOpKind.Lz4Decompress:
                bytes = (int)c.Bytes;
                if (c.Bytes > (uint)op.DestinationLength)
                {
                    done = default;
                    return false;
                }

                break;
            case OffloadOpKind.XtsEncrypt:
            case OffloadOpKind.XtsDecrypt:
            case OffloadOpKind.GcmSeal:
            case OffloadOpKind.GcmOpen:
                bytes = op.SourceLength;
                if (c.Bytes != (uint)bytes)
                {
                    done = default;
                    return false;
                }

                break;
            case OffloadOpKind.WriteChain when (op.Steps & OffloadChainSteps.Compression) != 0:
                // The stored payload (zero-padded to XTS's 16-byte floor) and the LZ4 block at its start.
                bytes = (int)c.Bytes;
                value = c.Result;
                if (c.Bytes > (uint)op.DestinationLength || c.Bytes < AesXts.MinBlockSize || value > c.Bytes || value == 0)
                {
                    done = default;
                    return false;
                }

                break;
            case OffloadOpKind.WriteChain:
                bytes = op.SourceLength;
                value = (ulong)bytes;
                if (c.Bytes != (uint)bytes)
                {
                    done = default;
                    return false;
                }

                break;
            case OffloadOpKind.ReadChain:
                bytes = op.DestinationLength;
                if (c.Bytes != (uint)bytes)
                {
                    done = default;
                    return false;
                }

                break;
            default:
                done = default;
                return false;
        }

        done = new OffloadCompletion(op.UserData, kind, OffloadStatus.Success, bytes, value, -1, 0, 0);
        return true;
    }

    private static bool TryMapPiError(in MppaSlotOp op, in DpuCompletion c, out OffloadCompletion done)
    {
        done = default;
        ProtectionInformationFormat f = op.PiFormat;
        int dataLength = op.Kind == OffloadOpKind.PiVerify ? op.SourceLength : op.DestinationLength;
        if (f.DataStride <= 0 || c.PiErrorBlock >= (uint)(dataLength / f.DataStride))
        {
            return false;
        }

        ulong fieldMax;
        OffloadStatus status;
        switch (c.PiErrorField)
        {
            case DpuAbi.PiFieldGuard:
                status = OffloadStatus.PiGuardError;
                fieldMax = f.Guard == ProtectionInformationGuard.Crc64 ? ulong.MaxValue : ushort.MaxValue;
                break;
            case DpuAbi.PiFieldApp:
                status = OffloadStatus.PiAppTagError;
                fieldMax = ushort.MaxValue;
                break;
            case DpuAbi.PiFieldRef:
                status = OffloadStatus.PiRefTagError;
                fieldMax = f.ReferenceTagMask;
                break;
            default:
                return false;
        }

        if (c.PiExpected > fieldMax || c.PiActual > fieldMax)
        {
            return false;
        }

        done = new OffloadCompletion(op.UserData, op.Kind, status, 0, 0, (int)c.PiErrorBlock, c.PiExpected, c.PiActual);
        return true;
    }
}
