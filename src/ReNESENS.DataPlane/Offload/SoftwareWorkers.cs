using System.Numerics;
using ReNESENS.DataPlane.Rings;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The worker threads of a <see cref="SoftwareEngine"/> in worker mode, and the one submission ring
/// they all drain. A ring entry is a token: the queue pair's index here (high 32 bits) and the
/// operation's slot in that queue pair (low 32 bits); the operation itself stays in its queue pair's
/// slot array (an <see cref="OffloadOp"/> holds region references, and the rings carry unmanaged items).
/// </summary>
/// <remarks>
/// <para>One shared <see cref="MpmcRing{T}"/> rather than a ring per queue pair: any idle worker takes
/// the next operation of any queue pair, so one busy queue pair uses every worker and no worker scans
/// idle queue pairs. The producers are the queue pairs' owner threads, the consumers the workers.</para>
/// <para>An idle worker spins briefly (<see cref="SpinsBeforePark"/> rounds of <see cref="SpinWait"/>),
/// then parks on an event that <see cref="Enqueue"/> sets only when a worker is parked. Parking is
/// race-free: a worker resets the event, announces itself in <see cref="_sleepers"/> and looks at the
/// ring once more; a submitter publishes its tokens, then reads <see cref="_sleepers"/>; both sides put a
/// full fence between their write and their read, so at least one of them sees the other.</para>
/// </remarks>
internal sealed class SoftwareWorkers : IDisposable
{
    /// <summary>The most worker threads an engine runs.</summary>
    internal const int MaxThreads = 64;

    /// <summary>The largest submission ring, in tokens (512 KiB); past it, Submit accepts what fits.</summary>
    internal const int MaxRingCapacity = 1 << 16;

    /// <summary>Tokens a worker takes at a time: few, so a batch spreads over the workers.</summary>
    private const int Burst = 4;

    /// <summary>SpinWait rounds an idle worker makes before it parks (tens of microseconds).</summary>
    private const int SpinsBeforePark = 64;

    private readonly SoftwareKeyTable _keys;
    private readonly int _maxDataSize;
    private readonly MpmcRing<long> _submissions;
    private readonly SoftwareWorkerQueuePair?[] _pairs;
    private readonly Thread[] _threads;
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0); // the worker has spun already
    private readonly Lock _lock = new();
    private int _sleepers;
    private volatile bool _stopping;
    private volatile bool _stopped;

    /// <param name="keys">The engine's key table.</param>
    /// <param name="maxDataSize">The largest operation (sizes each worker's chain scratch).</param>
    /// <param name="threads">Worker threads, 1 to <see cref="MaxThreads"/>.</param>
    /// <param name="maxQueuePairs">The most queue pairs open at once.</param>
    /// <param name="ringTokens">Tokens the submission ring should hold (every open slot of every queue pair), rounded up to a power of two and capped at <see cref="MaxRingCapacity"/>.</param>
    internal SoftwareWorkers(SoftwareKeyTable keys, int maxDataSize, int threads, int maxQueuePairs, long ringTokens)
    {
        _keys = keys;
        _maxDataSize = maxDataSize;
        long wanted = Math.Clamp(ringTokens, 2, MaxRingCapacity);
        _submissions = new MpmcRing<long>((int)BitOperations.RoundUpToPowerOf2((ulong)wanted));
        _pairs = new SoftwareWorkerQueuePair?[maxQueuePairs];
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"renesens-offload-sw-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>The number of worker threads.</summary>
    internal int Count => _threads.Length;

    /// <summary>The worker threads (tests look at their state).</summary>
    internal IReadOnlyList<Thread> Threads => _threads;

    /// <summary>Workers parked (or about to park) on the wake event.</summary>
    internal int Parked => Volatile.Read(ref _sleepers);

    /// <summary>True once <see cref="Dispose"/> has joined every worker: nothing will run any more.</summary>
    internal bool IsStopped => _stopped;

    /// <summary>Gives a new queue pair its index (control path).</summary>
    internal int Register(SoftwareWorkerQueuePair pair)
    {
        lock (_lock)
        {
            int index = Array.IndexOf(_pairs, null);
            if (index < 0)
            {
                throw new InvalidOperationException("No free queue-pair index.");
            }

            _pairs[index] = pair;
            return index;
        }
    }

    /// <summary>Frees an index once no token of its queue pair is left in the ring.</summary>
    internal void Unregister(int index)
    {
        lock (_lock)
        {
            _pairs[index] = null;
        }
    }

    /// <summary>Publishes tokens in order and wakes a parked worker; returns how many fit.</summary>
    internal int Enqueue(ReadOnlySpan<long> tokens)
    {
        int n = _submissions.EnqueueBurst(tokens);

        // The tokens are published before the sleeper count is read (see the remarks).
        Interlocked.MemoryBarrier();
        if (n > 0 && Volatile.Read(ref _sleepers) > 0)
        {
            _wake.Set();
        }

        return n;
    }

    /// <summary>
    /// Stops the workers and waits for them: an operation a worker is running finishes and completes;
    /// tokens still in the ring are never run (their queue pairs can no longer be polled).
    /// </summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _wake.Set();
        foreach (Thread thread in _threads)
        {
            thread.Join();
        }

        _stopped = true;
        _wake.Dispose();
    }

    private void Work()
    {
        using var runner = new SoftwareOpRunner(_keys, _maxDataSize);
        Span<long> tokens = stackalloc long[Burst];
        var spin = default(SpinWait);
        while (!_stopping)
        {
            int n = _submissions.DequeueBurst(tokens);
            if (n == 0)
            {
                if (spin.Count < SpinsBeforePark)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
                else
                {
                    Park();
                    spin.Reset();
                }

                continue;
            }

            spin.Reset();
            for (int i = 0; i < n; i++)
            {
                long token = tokens[i];

                // The token's queue pair stays registered until its count of queued tokens is zero.
                _pairs[(int)(token >> 32)]!.Execute(runner, (int)token);
            }
        }
    }

    private void Park()
    {
        _wake.Reset();
        Interlocked.Increment(ref _sleepers);
        if (_submissions.Count == 0 && !_stopping)
        {
            _wake.Wait();
        }

        Interlocked.Decrement(ref _sleepers);
    }
}
