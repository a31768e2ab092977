using System.IO.Hashing;
using System.Text;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>A namespace as the target serves it: NSID, block geometry, identifiers and back-end.</summary>
internal sealed class NvmeNamespace : IDisposable
{
    public NvmeNamespace(string subsystemNqn, NvmeNamespaceOptions options)
    {
        if (options.NamespaceId is 0 or >= 0xFFFFFFFE)
        {
            throw new ArgumentException($"NSID {options.NamespaceId} is not a valid namespace identifier.", nameof(options));
        }

        if (options.BlockSize is not (512 or 4096))
        {
            throw new ArgumentException($"Block size {options.BlockSize} is not 512 or 4096.", nameof(options));
        }

        if (options.SizeBytes < options.BlockSize || options.SizeBytes % options.BlockSize != 0)
        {
            throw new ArgumentException($"Namespace size {options.SizeBytes} is not a positive multiple of {options.BlockSize}.", nameof(options));
        }

        if (options.Transform is not null && options.FilePath is not null)
        {
            throw new ArgumentException("A namespace is either a transform namespace or a file namespace, not both.", nameof(options));
        }

        NamespaceId = options.NamespaceId;
        BlockSize = options.BlockSize;
        BlockShift = options.BlockSize == 512 ? 9 : 12;
        BlockCount = options.SizeBytes / options.BlockSize;
        Uuid = options.Uuid ?? DeriveUuid(subsystemNqn, options.NamespaceId);
        Backend = options switch
        {
            { Transform: { } transform } => new TransformNamespaceBackend(options.SizeBytes, options.BlockSize, transform),
            { FilePath: { } path } => new FileNamespaceBackend(path, options.SizeBytes),
            _ => new RamNamespaceBackend(options.SizeBytes),
        };
    }

    public uint NamespaceId { get; }

    public int BlockSize { get; }

    public int BlockShift { get; }

    public long BlockCount { get; }

    public Guid Uuid { get; }

    public NamespaceBackend Backend { get; }

    /// <summary>True when blocks [<paramref name="lba"/>, +<paramref name="count"/>) lie inside the namespace.</summary>
    public bool Contains(ulong lba, ulong count) => count <= (ulong)BlockCount && lba <= (ulong)BlockCount - count;

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
