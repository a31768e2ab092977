using System.Globalization;
using BenchmarkDotNet.Running;
using ReNESENS.DataPlane.Benchmarks.Rings;

namespace ReNESENS.DataPlane.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release -- --filter '*Ring*'</c> runs BenchmarkDotNet;
/// <c>-- interleaved [rounds]</c> runs the paired cross-thread ring comparison instead,
/// <c>-- lz4-interleaved [rounds]</c> the paired LZ4 one, <c>-- offload-interleaved [rounds]</c> the
/// paired PI and offload engine one.
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
            Kernels.Lz4InterleavedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 31);
            return;
        }

        if (args.Length > 0 && args[0] == "offload-interleaved")
        {
            Offload.OffloadInterleavedRun.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 21);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
