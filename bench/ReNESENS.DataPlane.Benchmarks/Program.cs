using System.Globalization;
using BenchmarkDotNet.Running;
using ReNESENS.DataPlane.Benchmarks.Rings;

namespace ReNESENS.DataPlane.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release -- --filter '*Ring*'</c> runs BenchmarkDotNet;
/// <c>-- interleaved [rounds]</c> runs the paired cross-thread ring comparison instead,
/// <c>-- lz4-interleaved [rounds]</c> the paired LZ4 one, <c>-- offload-interleaved [rounds]</c> the
/// paired PI and offload engine one, <c>-- vhost-rate [rounds]</c> the vhost-user packet rate against
/// DPDK's net_vhost (dpdk-testpmd generator; see Virtio/VhostRateRun.cs),
/// <c>-- nvme [seconds]</c> the NVMe/TCP initiator against the sample target in another process,
/// beside a plain-TCP ceiling, <c>-- nvme-file [seconds]</c> a file namespace with O_DIRECT and through the page
/// cache, beside the same I/O done locally on the file.
/// </summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "interleaved")
        {
            InterleavedRingRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9);
            return;
        }

        if (args.Length > 0 && args[0] == "lz4-interleaved")
        {
            Kernels.Lz4InterleavedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 101);
            return;
        }

        if (args.Length > 0 && args[0] == "offload-interleaved")
        {
            Offload.OffloadInterleavedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 21);
            return;
        }

        if (args.Length > 0 && args[0] == "vhost-rate" && OperatingSystem.IsLinux())
        {
            Virtio.VhostRateRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3);
            return;
        }

        if (args.Length > 0 && args[0] == "nvme")
        {
            Nvme.NvmeTcpRun.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3).GetAwaiter().GetResult();
            return;
        }

        if (args.Length > 0 && args[0] == "nvme-file")
        {
            Nvme.NvmeFileRun.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3).GetAwaiter().GetResult();
            return;
        }

        if (args.Length > 0 && args[0] == "tcp-ceiling-server")
        {
            Nvme.NvmeTcpRun.Serve();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
