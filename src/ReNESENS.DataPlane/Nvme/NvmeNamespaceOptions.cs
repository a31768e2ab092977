namespace ReNESENS.DataPlane.Nvme;

/// <summary>One namespace of an NVMe subsystem exported by <see cref="NvmeTcpTarget"/>.</summary>
public sealed class NvmeNamespaceOptions
{
    /// <summary>NSID, 1 or more.</summary>
    public uint NamespaceId { get; set; } = 1;

    /// <summary>
    /// Capacity in bytes (a multiple of <see cref="BlockSize"/>); for a file, the file is created or extended to it.
    /// 0 with <see cref="FilePath"/>: the whole block device, or the file as it is.
    /// </summary>
    public long SizeBytes { get; set; } = 64L << 20;

    /// <summary>
    /// RAM namespaces: the largest size a resize may give it (address space reserved now, memory used only when
    /// written); 0 means <see cref="SizeBytes"/>. Files grow without it; block devices up to their size.
    /// </summary>
    public long MaxSizeBytes { get; set; }

    /// <summary>Logical block size: 512 or 4096.</summary>
    public int BlockSize { get; set; } = 512;

    /// <summary>Backing file or block device; null for a RAM namespace in a <c>DmaRegion</c>.</summary>
    public string? FilePath { get; set; }

    /// <summary>With <see cref="FilePath"/>: bypass the page cache (O_DIRECT) always, when the file system allows it (the default), or never.</summary>
    public NvmeDirectIoMode DirectIo { get; set; }

    /// <summary>Stores the blocks compressed and encrypted in memory, PI-checked on every read; null for a plain namespace. Excludes <see cref="FilePath"/>.</summary>
    public NvmeNamespaceTransformOptions? Transform { get; set; }

    /// <summary>NGUID and UUID; derived from the subsystem NQN and the NSID when null.</summary>
    public Guid? Uuid { get; set; }
}
