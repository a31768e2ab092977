namespace ReNESENS.DataPlane.Switching;

/// <summary>Counters of one queue of a switch port; written only by the forwarding thread that owns the queue, read by anyone.</summary>
internal sealed class PortCounters
{
    private static readonly int ReasonCount = Enum.GetValues<SwitchDropReason>().Length;

    internal long ReceivedPackets;
    internal long ReceivedBytes;
    internal long TransmittedPackets;
    internal long TransmittedBytes;
    internal readonly long[] Drops = new long[ReasonCount];

    internal static SwitchPortStatistics Sum(PortCounters[] all)
    {
        long rp = 0, rb = 0, tp = 0, tb = 0;
        var drops = new long[ReasonCount];
        foreach (PortCounters c in all)
        {
            // Snapshot reads of counters another thread increments: whole 64-bit values, no edge needed.
            rp += Volatile.Read(ref c.ReceivedPackets);
            rb += Volatile.Read(ref c.ReceivedBytes);
            tp += Volatile.Read(ref c.TransmittedPackets);
            tb += Volatile.Read(ref c.TransmittedBytes);
            for (int i = 0; i < drops.Length; i++)
            {
                drops[i] += Volatile.Read(ref c.Drops[i]);
            }
        }

        return new SwitchPortStatistics(rp, rb, tp, tb, drops);
    }
}
