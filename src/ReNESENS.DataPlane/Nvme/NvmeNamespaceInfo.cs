using System.Buffers.Binary;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>What Identify Namespace reported.</summary>
public sealed class NvmeNamespaceInfo
{
    internal NvmeNamespaceInfo(uint nsid, ReadOnlySpan<byte> page)
    {
        NamespaceId = nsid;
        BlockCount = BinaryPrimitives.ReadInt64LittleEndian(page);
        int format = page[26] & 0x0F;
        BlockSize = 1 << page[128 + (format * 4) + 2];
        Nguid = new Guid(page.Slice(104, 16), bigEndian: true);
    }

    /// <summary>NSID.</summary>
    public uint NamespaceId { get; }

    /// <summary>NSZE in blocks.</summary>
    public long BlockCount { get; }

    /// <summary>Logical block size of the formatted LBA format.</summary>
    public int BlockSize { get; }

    /// <summary>NGUID.</summary>
    public Guid Nguid { get; }
}
