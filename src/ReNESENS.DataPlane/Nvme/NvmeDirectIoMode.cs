namespace ReNESENS.DataPlane.Nvme;

/// <summary>Whether a file or block-device namespace bypasses the page cache (O_DIRECT).</summary>
public enum NvmeDirectIoMode
{
    /// <summary>O_DIRECT when the file system allows it (not tmpfs), else the page cache, said in a warning.</summary>
    Auto = 0,

    /// <summary>O_DIRECT or the namespace does not open.</summary>
    Required = 1,

    /// <summary>The page cache (buffered I/O); Flush and FUA stay durable.</summary>
    Off = 2,
}
