using System.Net;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>A target on 127.0.0.1, port 0, with one RAM namespace (and options the test may change).</summary>
internal sealed class NvmeTestTarget : IAsyncDisposable
{
    public const string Nqn = "nqn.2026-11.io.renesens:test";
    public const string HostNqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";

    private NvmeTestTarget(NvmeTcpTarget target)
    {
        Target = target;
    }

    public NvmeTcpTarget Target { get; }

    public IPEndPoint EndPoint => Target.LocalEndPoint!;

    public static NvmeTestTarget Start(Action<NvmeTcpTargetOptions>? configure = null, long size = 16L << 20, int blockSize = 512, string? file = null)
    {
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = Nqn, SerialNumber = "RNTEST0001", ModelNumber = "ReNESENS test" };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = size, BlockSize = blockSize, FilePath = file });
        options.Subsystems.Add(subsystem);
        configure?.Invoke(options);
        var target = new NvmeTcpTarget(options);
        target.Start();
        return new NvmeTestTarget(target);
    }

    public static NvmeTcpInitiatorOptions Host(int queues = 1, bool digests = false, string nqn = Nqn, string hostNqn = HostNqn) => new()
    {
        SubsystemNqn = nqn,
        HostNqn = hostNqn,
        HostId = Guid.Parse("11111111-2222-3333-4444-555555555555"),
        IoQueueCount = queues,
        QueueDepth = 32,
        HeaderDigest = digests,
        DataDigest = digests,
    };

    public Task<NvmeTcpInitiator> ConnectAsync(NvmeTcpInitiatorOptions? options = null)
        => NvmeTcpInitiator.ConnectAsync(EndPoint, options ?? Host());

    public ValueTask DisposeAsync() => Target.DisposeAsync();
}
