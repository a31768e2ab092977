namespace ReNESENS.VSwitch;

/// <summary>The live statistics display.</summary>
internal sealed class StatsOptions
{
    /// <summary>Seconds between two refreshes (0: no display).</summary>
    public double IntervalSeconds { get; set; } = 1;
}
