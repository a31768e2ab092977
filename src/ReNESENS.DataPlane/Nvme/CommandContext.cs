using System.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>A command waiting for its host data (H2CData after an R2T); pooled by the target.</summary>
internal sealed class CommandContext : IResettable
{
    /// <summary>Largest host data of a command that does not write a namespace (Connect: 1024, DSM: 4096).</summary>
    public const int ScratchSize = 8192;

    /// <summary>The command, copied once from the capsule.</summary>
    public SubmissionQueueEntry Sqe;

    /// <summary>Bytes the R2T asked for.</summary>
    public int TransferLength;

    /// <summary>Bytes received so far (the next DATAO expected).</summary>
    public int Received;

    /// <summary>The namespace a Write lands in; null when the data goes to <see cref="Scratch"/>.</summary>
    public NvmeNamespace? Namespace;

    /// <summary>Byte offset of the Write in the namespace.</summary>
    public long ByteOffset;

    /// <summary>FUA of the Write.</summary>
    public bool ForceUnitAccess;

    /// <summary>A data digest failed on one of the command's PDUs: the data is dropped and the command fails once, on its last PDU.</summary>
    public bool DigestError;

    /// <summary>The status the Write ends with when its namespace was detached or shrunk under it while its data arrived; Success otherwise.</summary>
    public ushort Failure;

    /// <summary>Stopwatch timestamp of the capsule.</summary>
    public long Started;

    /// <summary>Host data of commands other than Write.</summary>
    public byte[] Scratch { get; } = new byte[ScratchSize];

    /// <summary>The whole Write for a back-end that needs whole commands (rented from the shared pool on the first H2CData); null otherwise.</summary>
    public byte[]? Staging;

    public bool TryReset()
    {
        Sqe = default;
        TransferLength = 0;
        Received = 0;
        Namespace = null;
        ByteOffset = 0;
        ForceUnitAccess = false;
        DigestError = false;
        Failure = 0;
        Started = 0;
        if (Staging is not null)
        {
            ArrayPool<byte>.Shared.Return(Staging);
            Staging = null;
        }

        return true;
    }
}
