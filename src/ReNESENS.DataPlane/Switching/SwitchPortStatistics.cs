namespace ReNESENS.DataPlane.Switching;

/// <summary>A snapshot of one switch port's counters, summed over its queues.</summary>
/// <param name="ReceivedPackets">Frames taken from the port.</param>
/// <param name="ReceivedBytes">Bytes of those frames.</param>
/// <param name="TransmittedPackets">Frames the port accepted (segments counted one by one).</param>
/// <param name="TransmittedBytes">Bytes of those frames.</param>
/// <param name="Drops">Drops by reason, indexed by <see cref="SwitchDropReason"/>.</param>
public readonly record struct SwitchPortStatistics(long ReceivedPackets, long ReceivedBytes, long TransmittedPackets, long TransmittedBytes, IReadOnlyList<long> Drops)
{
    /// <summary>All drops, whatever the reason.</summary>
    public long TotalDrops
    {
        get
        {
            long total = 0;
            foreach (long d in Drops)
            {
                total += d;
            }

            return total;
        }
    }

    /// <summary>Drops of one reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count.</returns>
    public long GetDrops(SwitchDropReason reason) => Drops[(int)reason];
}
