using BenchmarkDotNet.Running;

namespace ReNESENS.DataPlane.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release -- --filter '*Ring*'</c>.</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
