using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace ReNESENS.DataPlane.Benchmarks.Rings;

/// <summary>
/// Short runs (one launch, 2 warmup and 7 measured iterations) so the whole ring matrix fits in
/// about ten minutes on a 2-core box, plus median, minimum and items-per-second columns (one
/// operation = one item). Cross-thread figures on a shared 2-vCPU machine swing when another
/// process takes a core from one of the two busy-polling threads: read the median and minimum
/// beside the mean.
/// </summary>
public sealed class RingBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public RingBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithId("Short"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.OperationsPerSecond);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
