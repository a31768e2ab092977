using System.Diagnostics;
using System.Globalization;
using ReNESENS.DataPlane.Kernels;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// What the engine-level benchmarks share: 256 ops of 4 KiB over one queue pair, submitted in batches of 32, on
/// data LZ4 compresses about 2:1, and the submitting thread's bookkeeping, printed as a "HOSTCPU" line:
/// thread-cpu = its CPU time per op over the whole invocation (clock read once around the 256 ops; waiting on
/// empty polls and the wall-clock reads included); in-call = wall time per op inside the Submit and Poll calls
/// that moved work (<see cref="Stopwatch.GetTimestamp"/> around each call, less its calibrated cost: what the
/// engine costs the submitting core, which preemption can only inflate); empty polls per op. Medians over the
/// recent half of the invocations; cycles at the TSC's nominal rate.
/// </summary>
public abstract class EngineBatchBenchmark
{
    /// <summary>Operations per benchmark invocation.</summary>
    protected const int Ops = 256;

    /// <summary>Operations per Submit.</summary>
    protected const int Batch = 32;

    /// <summary>Bytes of data per operation.</summary>
    protected const int Size = 4096;

    private IOffloadEngine _engine = null!;
    private IOffloadQueuePair _qp = null!;
    private DmaRegion _region = null!;
    private OffloadOp[] _ops = null!;
    private OffloadCompletion[] _done = null!;
    private readonly InvocationSamples _samples = new();

    /// <summary>Takes the engine, fills the region and builds one op per slot with <paramref name="build"/>.</summary>
    /// <param name="engine">The engine under test; disposed by <see cref="Cleanup"/>.</param>
    /// <param name="build">Op number and its buffers and keys to the op.</param>
    protected void Setup(IOffloadEngine engine, Func<int, OpBuffers, OffloadOp> build)
    {
        _engine = engine;
        _qp = engine.CreateQueuePair(Ops);
        _region = DmaRegion.Create(8 << 20, PageKind.Small);
        Span<byte> all = _region.GetSpan(0, 8 << 20);
        var random = new Random(1);
        for (int i = 0; i < all.Length; i += 64)
        {
            // Half random, half runs: LZ4 compresses it about 2:1.
            Span<byte> line = all.Slice(i, 64);
            if ((i / 64) % 2 == 0)
            {
                random.NextBytes(line);
            }
            else
            {
                line.Fill((byte)(i >> 6));
            }
        }

        byte[] key = new byte[64];
        random.NextBytes(key);
        OffloadKey xts = engine.LoadKey(OffloadKeyKind.AesXts256, key);
        OffloadKey gcm = engine.LoadKey(OffloadKeyKind.AesGcm256, key.AsSpan(0, 32));
        var format = new ProtectionInformationFormat(512, 8, ProtectionInformationGuard.Crc16, ProtectionInformationType.Type1);
        _ops = new OffloadOp[Ops];
        _done = new OffloadCompletion[Batch];
        for (int i = 0; i < Ops; i++)
        {
            var src = new DmaSlice(_region, (long)i * Size, Size);
            var dst = new DmaSlice(_region, (2L << 20) + ((long)i * (Size + 64)), Size + 64);
            var md = new DmaSlice(_region, (6L << 20) + (i * 64L), 64);
            var aux = new DmaSlice(_region, (7L << 20) + (i * 64L), 28);
            _ops[i] = build(i, new OpBuffers(src, dst, md, aux, xts, gcm, format));
        }
    }

    /// <summary>Submits every op in batches and polls until all are complete, counting the submitting thread's CPU.</summary>
    /// <param name="checkSuccess">Throw on the first completion that is not a success.</param>
    /// <param name="idle">What the submitter does when a Submit and a Poll both moved nothing.</param>
    protected void RunBatches(bool checkSuccess, Action idle)
    {
        long cpu = HostCpu.ThreadNanoseconds();
        int submitted = 0;
        int completed = 0;
        long inCall = 0;
        long calls = 0;
        long empty = 0;
        while (completed < Ops)
        {
            long t0 = Stopwatch.GetTimestamp();
            int s = submitted < Ops ? _qp.Submit(_ops.AsSpan(submitted, Math.Min(Batch, Ops - submitted))) : 0;
            long t1 = Stopwatch.GetTimestamp();
            int n = _qp.Poll(_done);
            long t2 = Stopwatch.GetTimestamp();
            if (s > 0)
            {
                inCall += t1 - t0;
                calls++;
            }

            if (n > 0)
            {
                inCall += t2 - t1;
                calls++;
            }
            else
            {
                empty++;
            }

            submitted += s;
            completed += n;
            for (int i = 0; checkSuccess && i < n; i++)
            {
                if (!_done[i].IsSuccess)
                {
                    throw new InvalidOperationException($"op {_done[i].UserData}: {_done[i].Status}");
                }
            }

            if (s + n == 0)
            {
                idle();
            }
        }

        _samples.Add(HostCpu.ThreadNanoseconds() - cpu, inCall - (long)(calls * HostCpu.TimestampPairNs * Stopwatch.Frequency / 1e9), empty);
    }

    /// <summary>The buffers and keys of op number i: 4 KiB source, destination with 64 bytes to spare, 64 bytes of metadata, 28 bytes of GCM nonce + AAD.</summary>
    protected readonly record struct OpBuffers(DmaSlice Source, DmaSlice Destination, DmaSlice Metadata, DmaSlice NonceAndAad, OffloadKey XtsKey, OffloadKey GcmKey, ProtectionInformationFormat Format);

    /// <summary>Prints the HOSTCPU line and releases the queue pair, the engine and the region.</summary>
    /// <param name="label">What the line names (op and engine).</param>
    protected void Cleanup(string label)
    {
        double cpu = _samples.Median((c, _, _) => (double)c / Ops);
        double inCall = _samples.Median((_, t, _) => HostCpu.Ns(t) / Ops);
        double empty = _samples.Median((_, _, e) => (double)e / Ops);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"HOSTCPU {label} thread-cpu-ns/op={cpu:F0} in-call-ns/op={inCall:F0} in-call-cycles/op={HostCpu.Cycles(inCall):F0} empty-polls/op={empty:F1} invocations={_samples.Count}"));
        _qp.Dispose();
        _engine.Dispose();
        _region.Dispose();
    }
}
