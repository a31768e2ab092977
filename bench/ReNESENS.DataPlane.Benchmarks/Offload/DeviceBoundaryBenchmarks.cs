using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// The cost of the device boundary per descriptor at batch 32, on descriptors with no work in them:
/// NOP descriptors straight through the ABI (<c>abi/*</c>: DpuQueuePair -> rn_dpu_submit/rn_dpu_poll), and
/// 1-byte CRC32C operations through the MPPA engine (<c>engine/*</c>: translation, slots, completion
/// mapping). Devices: <c>emulated</c> (one worker that spins 50 µs before it sleeps: the steady state),
/// <c>emulated-sleep</c> (<c>spin=0</c>: the worker sleeps whenever it is idle, so every batch pays a wake-up),
/// <c>null</c> (<see cref="NullDeviceRuntime"/>: the device replaced by nothing, only host code runs), and the
/// anchor <c>engine/software</c> (the inline software engine: the engine API's own cost).
/// </summary>
/// <remarks>
/// <para>One invocation is 64 rounds; a round submits 32 descriptors and polls until the 32 are back.
/// <see cref="Batch32"/> reads the thread's CPU clock once per invocation (2048 descriptors), so its own cost
/// is under 1 ns per descriptor, and counts the polls that came back empty (the host waiting for the worker).
/// Host CPU per descriptor = (thread CPU - empty polls x the CPU of one empty poll) / descriptors, where one
/// empty poll's CPU is calibrated (least of 10 passes of 5,000) on a queue pair whose descriptor the device holds
/// back (<c>fault=slow:200ms</c>); an empty poll during the run can cost more (the completion line is moving
/// between cores), so this figure is an upper bound. <see cref="Batch32Timed"/> instead reads the wall clock around
/// each call and sums the calls that moved descriptors (less the clock's own calibrated cost): a lower bound
/// that preemption can only inflate. The median over the second half of the invocations is reported, on
/// "HOSTCPU" lines, in ns and in cycles at the TSC's nominal rate.</para>
/// <para><c>RN_BENCH_DPU_RUNTIME</c> names another runtime library for the emulated cases (a board
/// vendor's, or an earlier build of the emulator) with the same configs.</para>
/// </remarks>
[Config(typeof(DevicePathConfig))]
[MemoryDiagnoser]
public class DeviceBoundaryBenchmarks
{
    private const int Batch = BoundaryPath.Batch;
    private const int Rounds = 64;
    private const int PerInvoke = Batch * Rounds;
    private const int CalibrationPolls = 5_000;
    private const int CalibrationPasses = 10;

    private BoundaryPath _path = null!;
    private DmaRegion _region = null!;
    private double _emptyPollCpuNs;
    private InvocationSamples _cpu = null!;
    private InvocationSamples _timed = null!;

    /// <summary>The path and the device, as "path/device".</summary>
    [Params("engine/software", "abi/null", "engine/null", "abi/emulated", "engine/emulated", "abi/emulated-sleep", "engine/emulated-sleep")]
    public string Case { get; set; } = "abi/emulated";

    private static string EmulatedRuntime => Environment.GetEnvironmentVariable("RN_BENCH_DPU_RUNTIME") is { Length: > 0 } path
        ? path
        : DpuRuntime.Resolve(OffloadEngineOptions.EmulatedDeviceRuntime);

    [GlobalSetup]
    public void Setup()
    {
        _region = DmaRegion.Create(1 << 20, PageKind.Small);
        _cpu = new InvocationSamples();
        _timed = new InvocationSamples();
        _path = BoundaryPath.Open(Case, EmulatedRuntime, _region);
    }

    /// <summary>64 rounds of submit 32 + poll until 32 are back; thread CPU read once around them.</summary>
    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public void Batch32()
    {
        long cpu = HostCpu.ThreadNanoseconds();
        long empty = 0;
        for (int r = 0; r < Rounds; r++)
        {
            int sent = _path.Submit();
            int got = 0;
            while (got < sent)
            {
                int n = _path.Poll();
                got += n;
                empty += n == 0 ? 1 : 0;
            }
        }

        _cpu.Add(HostCpu.ThreadNanoseconds() - cpu, empty);
    }

    /// <summary>The same rounds with the wall clock read around each call: time inside the calls that moved descriptors.</summary>
    [Benchmark(OperationsPerInvoke = PerInvoke)]
    public void Batch32Timed()
    {
        long inCall = 0;
        long emptyTicks = 0;
        long calls = 0;
        for (int r = 0; r < Rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int sent = _path.Submit();
            inCall += Stopwatch.GetTimestamp() - t0;
            calls++;
            int got = 0;
            while (got < sent)
            {
                long t1 = Stopwatch.GetTimestamp();
                int n = _path.Poll();
                long t2 = Stopwatch.GetTimestamp() - t1;
                if (n > 0)
                {
                    inCall += t2;
                    calls++;
                    got += n;
                }
                else
                {
                    emptyTicks += t2;
                }
            }
        }

        _timed.Add(inCall, calls, emptyTicks);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_cpu.Count > 0)
        {
            // Calibrated now that the code is hot (tier 1), not in a setup that still runs tier-0 code.
            _emptyPollCpuNs = Case.Contains("emulated", StringComparison.Ordinal) ? CalibrateEmptyPoll() : 0;
            double net = _cpu.Median((cpu, empty, _) => (cpu - (empty * _emptyPollCpuNs)) / PerInvoke);
            double gross = _cpu.Median((cpu, _, _) => (double)cpu / PerInvoke);
            double empties = _cpu.Median((_, empty, _) => (double)empty / Rounds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"HOSTCPU boundary={Case} host-cpu-ns/descriptor={net:F1} cycles/descriptor={HostCpu.Cycles(net):F0} thread-cpu-ns/descriptor={gross:F1} empty-polls/round={empties:F1} empty-poll-cpu-ns={_emptyPollCpuNs:F1} invocations={_cpu.Count} ({HostCpu.Ghz:F3} GHz)"));
        }

        if (_timed.Count > 0)
        {
            double pair = HostCpu.TimestampPairNs;
            double inCall = _timed.Median((ticks, calls, _) => (HostCpu.Ns(ticks) - (calls * pair)) / PerInvoke);
            double emptyWall = _timed.Median((_, _, ticks) => HostCpu.Ns(ticks) / Rounds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"HOSTCPU boundary={Case} in-call-wall-ns/descriptor={inCall:F1} cycles/descriptor={HostCpu.Cycles(inCall):F0} empty-poll-wall-ns/round={emptyWall:F0} timestamp-pair-ns={pair:F1} invocations={_timed.Count}"));
        }

        _path.Dispose();
        _region.Dispose();
    }

    /// <summary>
    /// The CPU of one poll that finds nothing: a queue pair of another device on the same runtime holds one
    /// descriptor back for 200 ms (<c>fault=slow:200ms</c>) while the host polls it 10 x 5,000 times; the least
    /// of the 10 passes (an interrupt or a hypervisor pause lands in some of them).
    /// </summary>
    private double CalibrateEmptyPoll()
    {
        using BoundaryPath held = BoundaryPath.Open(Case, EmulatedRuntime, _region, "workers=1;fault=slow:200ms");
        held.SubmitOne();
        int found = 0;
        double perPoll = double.MaxValue;
        for (int pass = 0; pass < CalibrationPasses; pass++)
        {
            long cpu = HostCpu.ThreadNanoseconds();
            for (int i = 0; i < CalibrationPolls; i++)
            {
                found += held.Poll();
            }

            perPoll = Math.Min(perPoll, (double)(HostCpu.ThreadNanoseconds() - cpu) / CalibrationPolls);
        }

        if (found != 0)
        {
            throw new InvalidOperationException("the held-back descriptor completed during the empty-poll calibration");
        }

        while (held.Poll() == 0)
        {
            Thread.Sleep(1);
        }

        return perPoll;
    }
}
