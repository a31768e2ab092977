using System.Diagnostics;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>
/// The data thread of a test: polls every port of a backend, counts and releases what the guest sent, and
/// (when asked) sends a bounded number of 64-byte frames into the guest, round robin over the ports.
/// </summary>
internal sealed class VhostPoller : IDisposable
{
    /// <summary>Length of the frames this poller sends.</summary>
    public const int FrameLength = 64;

    private readonly IReadOnlyList<VhostUserPort> _ports;
    private readonly BufferPool _pool;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _toSend;
    private long _received;
    private long _receivedBytes;
    private long _sent;

    public VhostPoller(IReadOnlyList<VhostUserPort> ports, BufferPool pool)
    {
        _ports = ports;
        _pool = pool;
        _thread = new Thread(Run) { IsBackground = true, Name = "vhost test poller" };
        _thread.Start();
    }

    public long Received => Interlocked.Read(ref _received);

    public long ReceivedBytes => Interlocked.Read(ref _receivedBytes);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Queues <paramref name="count"/> more frames to send.</summary>
    public void Send(long count) => Interlocked.Add(ref _toSend, count);

    /// <summary>Waits until the received count stops moving for <paramref name="quiet"/> (bounded by <paramref name="timeout"/>).</summary>
    public void WaitQuiet(TimeSpan quiet, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long last = -1;
        var still = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            long now = Received + Sent;
            if (now != last)
            {
                last = now;
                still.Restart();
            }
            else if (still.Elapsed >= quiet && Interlocked.Read(ref _toSend) == 0)
            {
                return;
            }

            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        var burst = new PacketBuffer[32];
        int next = 0;
        while (!_stop)
        {
            bool idle = true;
            foreach (VhostUserPort port in _ports)
            {
                int n = port.ReceiveBurst(burst);
                for (int i = 0; i < n; i++)
                {
                    Interlocked.Add(ref _receivedBytes, burst[i].PacketLength);
                    burst[i].Release();
                }

                if (n > 0)
                {
                    Interlocked.Add(ref _received, n);
                    idle = false;
                }
            }

            long pending = Interlocked.Read(ref _toSend);
            if (pending > 0)
            {
                VhostUserPort port = _ports[next++ % _ports.Count];
                if (port.IsRunning)
                {
                    int want = (int)Math.Min(pending, burst.Length);
                    int made = 0;
                    while (made < want && _pool.TryRent(out PacketBuffer? p))
                    {
                        WriteFrame(p.Append(FrameLength), Sent + made);
                        burst[made++] = p;
                    }

                    int taken = port.TransmitBurst(burst.AsSpan(0, made));
                    for (int i = taken; i < made; i++)
                    {
                        burst[i].Release();
                    }

                    Interlocked.Add(ref _sent, taken);
                    Interlocked.Add(ref _toSend, -taken);
                    idle &= taken == 0;
                }
            }

            if (idle)
            {
                Thread.SpinWait(64);
            }
        }
    }

    private static void WriteFrame(Span<byte> frame, long sequence)
    {
        frame.Clear();
        frame[..6].Fill(0xFF);
        frame[6] = 0x02;
        frame[11] = 0x01;
        frame[12] = 0x08; // IPv4 ethertype 0x0800, a minimal header; testpmd does not parse it.
        BitConverter.TryWriteBytes(frame[20..], sequence);
    }
}
