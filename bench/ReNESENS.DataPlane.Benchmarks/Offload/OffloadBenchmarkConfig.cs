using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// One launch, 3 warmup and 9 measured iterations, run in the benchmark process itself: with six
/// builds sharing two cores (load average 20-25), BenchmarkDotNet's generated child project did not
/// build within its 2-minute limit. In-process runs measure the same JIT-compiled code; only the
/// process isolation between cases is lost, so ratios are read within one class.
/// </summary>
public sealed class OffloadBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public OffloadBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(9).WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
