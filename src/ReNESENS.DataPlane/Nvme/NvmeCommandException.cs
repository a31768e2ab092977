namespace ReNESENS.DataPlane.Nvme;

/// <summary>A command completed with an error status, or its queue's connection ended before it completed.</summary>
public sealed class NvmeCommandException : Exception
{
    /// <summary>Creates an exception.</summary>
    public NvmeCommandException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public NvmeCommandException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public NvmeCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an NVMe status.</summary>
    /// <param name="status">The status field: SC in bits 7:0, SCT in bits 10:8, DNR in bit 14.</param>
    /// <param name="message">What failed.</param>
    public NvmeCommandException(ushort status, string message)
        : base($"{message}: NVMe status SCT {(status >> 8) & 7:X} SC {status & 0xFF:X2}{((status & 0x4000) != 0 ? " (DNR)" : "")}")
    {
        Status = status;
    }

    /// <summary>The status field (SC in bits 7:0, SCT in bits 10:8, DNR in bit 14); 0 when the connection ended.</summary>
    public ushort Status { get; }

    /// <summary>Status code type and status code, without the retry bits: SCT &lt;&lt; 8 | SC.</summary>
    public int StatusCode => Status & 0x7FF;
}
