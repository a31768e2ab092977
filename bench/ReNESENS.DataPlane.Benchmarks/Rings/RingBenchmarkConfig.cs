using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// Short runs (one launch, 2 warmup and 5 measured iterations) so the whole ring matrix fits in a
/// few minutes on a 2-core box, plus an items-per-second column (one operation = one item).
/// </summary>
public sealed class RingBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public RingBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5).WithId("Short"));
        AddColumn(StatisticColumn.OperationsPerSecond);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
