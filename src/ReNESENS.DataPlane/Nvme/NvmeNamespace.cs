using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// A namespace as the target serves it: NSID, block geometry, identifiers and back-end. The size may change at run
/// time (<see cref="BlockCount"/> is read once per command); once detached it is never served again.
/// </summary>
internal sealed class NvmeNamespace : IDisposable
{
    /// <summary>Blocks; written by the thread that resizes, read by every queue.</summary>
    private long _blockCount;

    /// <summary>1 once detached; written once by the thread that detaches.</summary>
    private int _detached;

    public NvmeNamespace(string subsystemNqn, NvmeNamespaceOptions options, ILogger? logger = null)
    {
        if (NvmeTargetOptionsValidator.NamespaceProblem(options) is { } problem)
        {
            throw new ArgumentException($"Namespace {options.NamespaceId} of {subsystemNqn}: {problem}", nameof(options));
        }

        logger ??= Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        NamespaceId = options.NamespaceId;
        BlockSize = options.BlockSize;
        BlockShift = options.BlockSize == 512 ? 9 : 12;
        Uuid = options.Uuid ?? DeriveUuid(subsystemNqn, options.NamespaceId);
        Backend = options switch
        {
            { Transform: { } transform } => new TransformNamespaceBackend(options.SizeBytes, options.BlockSize, transform),
            { FilePath: { } path } => new FileNamespaceBackend(path, options.SizeBytes, options.BlockSize, options.DirectIo, logger),
            _ => new RamNamespaceBackend(options.SizeBytes, options.MaxSizeBytes),
        };
        _blockCount = Backend.Capacity / options.BlockSize;
        if (Backend is FileNamespaceBackend file)
        {
            NvmeLog.FileNamespaceOpened(logger, NamespaceId, subsystemNqn, options.FilePath!, Backend.Capacity, file.IsDirect ? "O_DIRECT" : "page cache");
        }
    }

    public uint NamespaceId { get; }

    public int BlockSize { get; }

    public int BlockShift { get; }

    public long BlockCount => Volatile.Read(ref _blockCount);

    public Guid Uuid { get; }

    public NamespaceBackend Backend { get; }

    /// <summary>True once the namespace left its subsystem: commands still holding it fail with Invalid Namespace.</summary>
    public bool IsDetached => Volatile.Read(ref _detached) != 0;

    /// <summary>True when blocks [<paramref name="lba"/>, +<paramref name="count"/>) lie inside the namespace.</summary>
    public bool Contains(ulong lba, ulong count)
    {
        ulong blocks = (ulong)BlockCount;
        return count <= blocks && lba <= blocks - count;
    }

    /// <summary>True when a command that was checked earlier may still write [<paramref name="byteOffset"/>, +<paramref name="length"/>): attached, and not cut off by a shrink since.</summary>
    public bool StillAccepts(long byteOffset, long length) => !IsDetached && byteOffset + length <= BlockCount << BlockShift;

    /// <summary>Marks the namespace detached (it is disposed after the grace period).</summary>
    public void MarkDetached() => Interlocked.Exchange(ref _detached, 1);

    /// <summary>Publishes a larger size: the back-end grows first, so no command sees blocks it cannot hold.</summary>
    public void Grow(long blocks)
    {
        Backend.Resize(blocks << BlockShift);
        Interlocked.Exchange(ref _blockCount, blocks);
    }

    /// <summary>Publishes a smaller size; the caller waits for the grace period, then calls <see cref="CompleteShrink"/>.</summary>
    public void BeginShrink(long blocks) => Interlocked.Exchange(ref _blockCount, blocks);

    /// <summary>Gives the cut-off tail back to the back-end (no command can reach it any more).</summary>
    public void CompleteShrink() => Backend.Resize(BlockCount << BlockShift);

    public void Dispose() => Backend.Dispose();

    /// <summary>A stable identifier (RFC 4122 version 8 layout) from the subsystem NQN and the NSID.</summary>
    private static Guid DeriveUuid(string nqn, uint nsid)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(Encoding.UTF8.GetBytes($"{nqn}/{nsid}"), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash, bigEndian: true);
    }
}
