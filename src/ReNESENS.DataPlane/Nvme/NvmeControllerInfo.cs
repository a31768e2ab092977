namespace ReNESENS.DataPlane.Nvme;

/// <summary>What Identify Controller reported.</summary>
public sealed class NvmeControllerInfo
{
    internal NvmeControllerInfo(ReadOnlySpan<byte> page)
    {
        SerialNumber = System.Text.Encoding.ASCII.GetString(page.Slice(4, 20)).TrimEnd();
        ModelNumber = System.Text.Encoding.ASCII.GetString(page.Slice(24, 40)).TrimEnd();
        ControllerId = BitConverter.ToUInt16(page[78..80]);
        MaxDataTransferSize = page[77] == 0 ? int.MaxValue : 4096 << page[77];
        NamespaceCount = BitConverter.ToUInt32(page[516..520]);
        ControllerType = page[111];
        Span<byte> nqn = page.Slice(768, 256).ToArray();
        int end = nqn.IndexOf((byte)0);
        SubsystemNqn = System.Text.Encoding.UTF8.GetString(end < 0 ? nqn : nqn[..end]);
        InCapsuleDataSize = (int)Math.Max(0, (BitConverter.ToUInt32(page[1792..1796]) * 16L) - SubmissionQueueEntry.Size);
    }

    /// <summary>SN.</summary>
    public string SerialNumber { get; }

    /// <summary>MN.</summary>
    public string ModelNumber { get; }

    /// <summary>CNTLID.</summary>
    public ushort ControllerId { get; }

    /// <summary>MDTS in bytes.</summary>
    public int MaxDataTransferSize { get; }

    /// <summary>NN: the largest NSID.</summary>
    public uint NamespaceCount { get; }

    /// <summary>CNTRLTYPE: 1 I/O controller, 2 discovery controller.</summary>
    public byte ControllerType { get; }

    /// <summary>SUBNQN.</summary>
    public string SubsystemNqn { get; }

    /// <summary>In-capsule data the I/O queues accept (IOCCSZ less the SQE).</summary>
    public int InCapsuleDataSize { get; }
}
