namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// An NVM subsystem (or the discovery subsystem) as the target serves it. The namespace set is an immutable array
/// replaced whole on attach, detach and resize (by <see cref="NvmeTargetCore"/>, under its change lock): queues read
/// it with one volatile load and never lock.
/// </summary>
internal sealed class NvmeSubsystem : IDisposable
{
    private readonly HashSet<string> _allowedHosts;
    private NvmeNamespace[] _namespaces;
    private int _removed;

    public NvmeSubsystem(NvmeSubsystemOptions options, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        if (NvmeTargetOptionsValidator.SubsystemProblem(options) is { } problem)
        {
            throw new ArgumentException($"Subsystem {options.Nqn}: {problem}", nameof(options));
        }

        Nqn = options.Nqn;
        SerialNumber = options.SerialNumber;
        ModelNumber = options.ModelNumber;
        MaxNamespaceId = options.MaxNamespaceId;
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

                if (ns.NamespaceId > MaxNamespaceId)
                {
                    throw new ArgumentException($"Subsystem {Nqn}: NSID {ns.NamespaceId} is above MaxNamespaceId {MaxNamespaceId}.", nameof(options));
                }

                namespaces.Add(ns.NamespaceId, new NvmeNamespace(Nqn, ns, logger));
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

        _namespaces = [.. namespaces.Values];
    }

    private NvmeSubsystem()
    {
        Nqn = NvmeOpcodes.DiscoveryNqn;
        SerialNumber = "RNDISCOVERY";
        ModelNumber = "ReNESENS NVMe/TCP discovery";
        _allowedHosts = [];
        _namespaces = [];
        IsDiscovery = true;
    }

    public string Nqn { get; }

    public string SerialNumber { get; }

    public string ModelNumber { get; }

    public bool IsDiscovery { get; }

    /// <summary>True once the subsystem was removed from the target: Connect no longer finds it.</summary>
    public bool IsRemoved => Volatile.Read(ref _removed) != 0;

    /// <summary>Namespaces in ascending NSID order (the current set; a new array after every change).</summary>
    public NvmeNamespace[] Namespaces => Volatile.Read(ref _namespaces);

    /// <summary>NN and MNAN of Identify Controller: the largest NSID this subsystem may ever have.</summary>
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

    /// <summary>Publishes a new namespace set (sorted by NSID); the caller holds the target's change lock.</summary>
    public void PublishNamespaces(NvmeNamespace[] namespaces) => Volatile.Write(ref _namespaces, namespaces);

    public void MarkRemoved() => Volatile.Write(ref _removed, 1);

    public void Dispose()
    {
        foreach (NvmeNamespace ns in Namespaces)
        {
            ns.Dispose();
        }
    }
}
