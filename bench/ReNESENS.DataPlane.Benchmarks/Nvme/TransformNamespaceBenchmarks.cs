using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Benchmarks.Offload;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Benchmarks.Nvme;

/// <summary>
/// One 4 KiB Write or Read (queue depth 1) through our initiator over loopback into a RAM namespace
/// (the anchor) and into a transform namespace (PI + LZ4 + XTS at rest on the software engine), both
/// served by the same in-process target. Half-compressible data (text). Ratios per operation pair.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(OffloadBenchmarkConfig))]
public class TransformNamespaceBenchmarks
{
    private const string Nqn = "nqn.2026-11.io.renesens:bench-xform";
    private readonly byte[] _data = new byte[4096];
    private readonly byte[] _back = new byte[4096];
    private NvmeTcpTarget _target = null!;
    private NvmeTcpInitiator _host = null!;
    private ulong _lba;

    /// <summary>Starts the target (NSID 1 RAM, NSID 2 transform) and connects.</summary>
    [GlobalSetup]
    public void Setup()
    {
        byte[] key = new byte[64];
        new Random(1).NextBytes(key);
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = Nqn };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 64L << 20, BlockSize = 4096 });
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 64L << 20, BlockSize = 4096, Transform = new NvmeNamespaceTransformOptions { Key = Convert.ToHexString(key) } });
        options.Subsystems.Add(subsystem);
        _target = new NvmeTcpTarget(options);
        _target.Start();
        _host = NvmeTcpInitiator.ConnectAsync(_target.LocalEndPoint!, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn }).GetAwaiter().GetResult();
        System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a log line with a counter 0123456789; ", 120)).AsSpan(0, 4096), _data);
        for (ulong lba = 0; lba < 1024; lba++)
        {
            _host.WriteAsync(1, lba, _data, 4096).AsTask().GetAwaiter().GetResult();
            _host.WriteAsync(2, lba, _data, 4096).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Stops the target.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _target.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>4 KiB write into the RAM namespace.</summary>
    [Benchmark(Baseline = true)]
    public Task WriteRam() => _host.WriteAsync(1, Next(), _data, 4096).AsTask();

    /// <summary>4 KiB write into the transform namespace.</summary>
    [Benchmark]
    public Task WriteTransform() => _host.WriteAsync(2, Next(), _data, 4096).AsTask();

    /// <summary>4 KiB read from the RAM namespace.</summary>
    [Benchmark]
    public Task ReadRam() => _host.ReadAsync(1, Next(), _back, 4096).AsTask();

    /// <summary>4 KiB read from the transform namespace (decrypt, decompress, PI verify).</summary>
    [Benchmark]
    public Task ReadTransform() => _host.ReadAsync(2, Next(), _back, 4096).AsTask();

    private ulong Next() => _lba = (_lba + 1) & 1023;
}
