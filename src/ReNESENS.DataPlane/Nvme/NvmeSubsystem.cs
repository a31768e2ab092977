namespace ReNESENS.DataPlane.Nvme;

/// <summary>An NVM subsystem (or the discovery subsystem) as the target serves it.</summary>
internal sealed class NvmeSubsystem : IDisposable
{
    private readonly HashSet<string> _allowedHosts;

    public NvmeSubsystem(NvmeSubsystemOptions options)
    {
        Nqn = options.Nqn;
        SerialNumber = options.SerialNumber;
        ModelNumber = options.ModelNumber;
        _allowedHosts = new HashSet<string>(options.AllowedHosts, StringComparer.Ordinal);
        var namespaces = new SortedDictionary<uint, NvmeNamespace>();
        try
        {
            foreach (NvmeNamespaceOptions ns in options.Namespaces)
            {
                if (namespaces.ContainsKey(ns.NamespaceId))
                {
                    throw new ArgumentException($"Subsystem {Nqn} lists NSID {ns.NamespaceId} twice.", nameof(options));
                }

                namespaces.Add(ns.NamespaceId, new NvmeNamespace(Nqn, ns));
            }
        }
        catch
        {
            foreach (NvmeNamespace ns in namespaces.Values)
            {
                ns.Dispose();
            }

            throw;
        }

        Namespaces = [.. namespaces.Values];
        MaxNamespaceId = Namespaces.Length == 0 ? 0 : Namespaces[^1].NamespaceId;
    }

    private NvmeSubsystem()
    {
        Nqn = NvmeOpcodes.DiscoveryNqn;
        SerialNumber = "RNDISCOVERY";
        ModelNumber = "ReNESENS NVMe/TCP discovery";
        _allowedHosts = [];
        Namespaces = [];
        IsDiscovery = true;
    }

    public string Nqn { get; }

    public string SerialNumber { get; }

    public string ModelNumber { get; }

    public bool IsDiscovery { get; }

    /// <summary>Namespaces in ascending NSID order.</summary>
    public NvmeNamespace[] Namespaces { get; }

    public uint MaxNamespaceId { get; }

    /// <summary>Data units (1000 x 512 bytes) read, for the SMART log; written by I/O sessions with Interlocked.</summary>
    public long BytesRead;

    /// <summary>Bytes written, for the SMART log; written by I/O sessions with Interlocked.</summary>
    public long BytesWritten;

    /// <summary>Read commands, for the SMART log.</summary>
    public long ReadCommands;

    /// <summary>Write commands, for the SMART log.</summary>
    public long WriteCommands;

    public static NvmeSubsystem CreateDiscovery() => new();

    public bool IsHostAllowed(string hostNqn) => IsDiscovery || _allowedHosts.Count == 0 || _allowedHosts.Contains(hostNqn);

    public NvmeNamespace? Find(uint nsid)
    {
        foreach (NvmeNamespace ns in Namespaces)
        {
            if (ns.NamespaceId == nsid)
            {
                return ns;
            }
        }

        return null;
    }

    public void Dispose()
    {
        foreach (NvmeNamespace ns in Namespaces)
        {
            ns.Dispose();
        }
    }
}
