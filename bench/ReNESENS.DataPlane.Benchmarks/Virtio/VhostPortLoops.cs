using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Benchmarks.Virtio;

/// <summary>
/// The two packet loops over a <see cref="SyntheticSplitGuest"/>, shared by <see cref="VhostPortBenchmarks"/> and the
/// <c>vhost-loop</c> run mode (run under callgrind for instructions per packet, independent of load).
/// </summary>
internal static class VhostPortLoops
{
    /// <summary>Packets per burst, as testpmd's and the switch's default.</summary>
    public const int Burst = 32;

    /// <summary>Guest transmits, backend receives (<see cref="Virtio.VhostUserPort.ReceiveBurst"/>) and releases every packet.</summary>
    /// <returns>Packets received.</returns>
    public static long Receive(SyntheticSplitGuest guest, PacketBuffer[] burst, int bursts)
    {
        long total = 0;
        for (int b = 0; b < bursts; b++)
        {
            guest.PostTransmit(Burst);
            int n = guest.Port.ReceiveBurst(burst);
            PacketBuffer.ReleaseBurst(burst.AsSpan(0, n));
            total += n;
        }

        return total;
    }

    /// <summary>The backend fills 64-byte packets and transmits them into the guest's receive ring (<see cref="Virtio.VhostUserPort.TransmitBurst"/>).</summary>
    /// <returns>Packets the guest received.</returns>
    public static long Transmit(SyntheticSplitGuest guest, BufferPool pool, PacketBuffer[] burst, int bursts)
    {
        long total = 0;
        for (int b = 0; b < bursts; b++)
        {
            guest.PostReceive(Burst);
            int n = pool.TryRentBurst(burst);
            for (int i = 0; i < n; i++)
            {
                burst[i].Append(SyntheticSplitGuest.FrameLength);
            }

            int sent = guest.Port.TransmitBurst(burst.AsSpan(0, n));
            for (int i = sent; i < n; i++)
            {
                burst[i].Release();
            }

            total += sent;
        }

        return total;
    }
}
