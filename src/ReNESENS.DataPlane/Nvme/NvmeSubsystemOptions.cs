namespace ReNESENS.DataPlane.Nvme;

/// <summary>An NVM subsystem exported by <see cref="NvmeTcpTarget"/>.</summary>
public sealed class NvmeSubsystemOptions
{
    /// <summary>The subsystem NQN.</summary>
    public string Nqn { get; set; } = "nqn.2026-11.io.renesens:storage";

    /// <summary>Serial number (at most 20 ASCII characters).</summary>
    public string SerialNumber { get; set; } = "RN0000000001";

    /// <summary>Model number (at most 40 ASCII characters).</summary>
    public string ModelNumber { get; set; } = "ReNESENS NVMe/TCP";

    /// <summary>
    /// The largest NSID the subsystem may hold (NN and MNAN in Identify Controller), at least the largest configured
    /// one: namespaces attached at run time get an NSID up to this.
    /// </summary>
    public uint MaxNamespaceId { get; set; } = 1024;

    /// <summary>Host NQNs allowed to connect; empty allows any host.</summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>The namespaces.</summary>
    public IList<NvmeNamespaceOptions> Namespaces { get; } = [];
}
