using System.Globalization;
using BenchmarkDotNet.Running;
using ReNESENS.DataPlane.Benchmarks.Rings;

namespace ReNESENS.DataPlane.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release -- --filter '*Ring*'</c> runs BenchmarkDotNet;
/// <c>-- interleaved [rounds]</c> runs the paired cross-thread ring comparison instead,
/// <c>-- lz4-interleaved [rounds]</c> the paired LZ4 one, <c>-- offload-interleaved [rounds]</c> the
/// paired PI and offload engine one, <c>-- vhost-rate [rounds] [sink,source,forward]</c> the vhost-user packet rates against
/// DPDK's net_vhost (dpdk-testpmd generator; see Virtio/VhostRateRun.cs), <c>-- vhost-loop rx|tx [bursts]</c>
/// the in-process vhost-user packet loop alone (for callgrind; see Virtio/VhostLoopRun.cs),
/// <c>-- nvme [seconds] [rounds] [case filter]</c> the NVMe/TCP initiator against the sample target in another process,
/// beside a plain-TCP ceiling, in paired rounds, <c>-- nvme-file [seconds]</c> a file namespace with O_DIRECT and through
/// the page cache, beside the same I/O done locally on the file, <c>-- boundary-profile CASE ROUNDS</c> a driver of the
/// device boundary for profilers (see Offload/BoundaryProfileRun.cs).
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
            Virtio.VhostRateRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3, args.Length > 2 ? args[2] : "sink,source,forward");
            return;
        }

        if (args.Length > 0 && args[0] == "vhost-loop")
        {
            Virtio.VhostLoopRun.Run(args.Length > 1 ? args[1] : "rx", args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000);
            return;
        }

        if (args.Length > 0 && args[0] == "nvme")
        {
            Nvme.NvmeTcpRun.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3, args.Length > 3 ? args[3] : null).GetAwaiter().GetResult();
            return;
        }

        if (args.Length == 3 && args[0] == "boundary-profile")
        {
            Offload.BoundaryProfileRun.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
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
