namespace ReNESENS.NvmeTarget;

/// <summary>The <c>Statistics</c> section: how often the live statistics line is printed.</summary>
internal sealed class StatisticsOptions
{
    /// <summary>Seconds between lines; 0 prints none.</summary>
    public double IntervalSeconds { get; set; } = 1.0;
}
