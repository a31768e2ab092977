using System.Text.Json;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.NvmeTarget;

/// <summary>The JSON configuration file: the listener, limits, subsystems, their namespaces and allowed hosts.</summary>
internal sealed class TargetConfig
{
    public string Address { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 4420;

    public int MaxQueueDepth { get; set; } = 128;

    public int MaxIoQueues { get; set; } = 8;

    public List<SubsystemConfig> Subsystems { get; set; } = [];

    public static TargetConfig Load(string? path)
    {
        string json = path is null ? EmbeddedDefault() : File.ReadAllText(path);
        return JsonSerializer.Deserialize<TargetConfig>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
            ?? throw new InvalidDataException("The configuration file is empty.");
    }

    public static string EmbeddedDefault()
    {
        using Stream stream = typeof(TargetConfig).Assembly.GetManifestResourceStream("default-config.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public NvmeTcpTargetOptions ToOptions()
    {
        var options = new NvmeTcpTargetOptions { Address = Address, Port = Port, MaxQueueDepth = MaxQueueDepth, MaxIoQueues = MaxIoQueues };
        foreach (SubsystemConfig s in Subsystems)
        {
            var subsystem = new NvmeSubsystemOptions { Nqn = s.Nqn, SerialNumber = s.SerialNumber, ModelNumber = s.ModelNumber };
            s.AllowedHosts.ForEach(subsystem.AllowedHosts.Add);
            foreach (NamespaceConfig n in s.Namespaces)
            {
                subsystem.Namespaces.Add(new NvmeNamespaceOptions
                {
                    NamespaceId = n.NamespaceId,
                    SizeBytes = n.SizeBytes,
                    BlockSize = n.BlockSize,
                    FilePath = n.File,
                    Transform = n.Transform is { } t ? new NvmeNamespaceTransformOptions { Key = t.Key, StoreSizeBytes = t.StoreSizeBytes } : null,
                });
            }

            options.Subsystems.Add(subsystem);
        }

        return options;
    }
}

internal sealed class SubsystemConfig
{
    public string Nqn { get; set; } = "";

    public string SerialNumber { get; set; } = "RN0000000001";

    public string ModelNumber { get; set; } = "ReNESENS NVMe/TCP";

    public List<string> AllowedHosts { get; set; } = [];

    public List<NamespaceConfig> Namespaces { get; set; } = [];
}

internal sealed class NamespaceConfig
{
    public uint NamespaceId { get; set; } = 1;

    public long SizeBytes { get; set; }

    public int BlockSize { get; set; } = 512;

    public string? File { get; set; }

    /// <summary>Set: the namespace is stored compressed and encrypted in memory, PI-checked on every read.</summary>
    public TransformConfig? Transform { get; set; }
}

/// <summary>A transform namespace: the AES-256-XTS key (128 hex digits) and the inner store size (0: room for every chunk uncompressed).</summary>
internal sealed class TransformConfig
{
    public string Key { get; set; } = "";

    public long StoreSizeBytes { get; set; }
}
