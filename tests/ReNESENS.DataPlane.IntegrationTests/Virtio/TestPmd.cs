using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>
/// One interactive <c>dpdk-testpmd</c> (DPDK 22.11) driven through stdin: its lcores pinned to one CPU, its own
/// <c>--file-prefix</c>, killed and its huge page files removed on dispose. Shared by the tests and the bench.
/// </summary>
internal sealed partial class TestPmd : IAsyncDisposable
{
    private readonly Process _process;

    /// <summary>What testpmd wrote to stdout (its prompt, statistics), apart from stderr: a stderr line can land in
    /// the middle of the prompt (testpmd writes "Error during enabling promiscuous mode ..." while the prompt is being
    /// printed), and the prompt would then never be found in one merged text.</summary>
    private readonly StringBuilder _stdout = new();

    /// <summary>Both streams as they arrived, for diagnostics.</summary>
    private readonly StringBuilder _output = new();
    private readonly string _prefix;
    private readonly Task _pumps;

    private TestPmd(Process process, string prefix)
    {
        _process = process;
        _prefix = prefix;
        _pumps = Task.WhenAll(Pump(process.StandardOutput, _stdout), Pump(process.StandardError, null));
    }

    /// <summary>The testpmd process id (for its CPU time).</summary>
    public int ProcessId => _process.Id;

    /// <summary>CPU time testpmd has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Everything testpmd printed so far, stdout and stderr interleaved as they arrived (for messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>What testpmd printed to stdout so far.</summary>
    private string StandardOutput
    {
        get
        {
            lock (_output)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Starts testpmd in interactive mode with one virtual device (or two).</summary>
    /// <param name="vdev">The <c>--vdev</c> argument.</param>
    /// <param name="cpu">The CPU both lcores run on.</param>
    /// <param name="queues">Receive and transmit queues.</param>
    /// <param name="forwardMode">txonly, rxonly, io...</param>
    /// <param name="singleFileSegments">Give <c>--single-file-segments</c> (virtio-user shares memory by file).</param>
    /// <param name="secondVdev">A second <c>--vdev</c> (port 1), or null.</param>
    /// <param name="totalMbufs">testpmd's <c>--total-num-mbufs</c>, or null for its default (which takes a few hundred MiB of huge pages).</param>
    public static async Task<TestPmd> StartAsync(string vdev, int cpu, int queues, string forwardMode, bool singleFileSegments = true, string? secondVdev = null, int? totalMbufs = null)
    {
        string prefix = $"rn-vhost-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32];
        // stdbuf: testpmd prints with stdio, which a pipe would buffer until exit.
        var info = new ProcessStartInfo("stdbuf")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[]
        {
            "-o0", "dpdk-testpmd", "--lcores", $"0@{cpu},1@{cpu}", "--no-pci", "--file-prefix", prefix, "-m", "256", "--log-level", "*:notice",
        })
        {
            info.ArgumentList.Add(a);
        }

        if (singleFileSegments)
        {
            info.ArgumentList.Add("--single-file-segments");
        }

        info.ArgumentList.Add("--vdev");
        info.ArgumentList.Add(vdev);
        if (secondVdev is not null)
        {
            info.ArgumentList.Add("--vdev");
            info.ArgumentList.Add(secondVdev);
        }

        foreach (string a in new[]
        {
            "--", "-i", "--nb-cores=1", $"--rxq={queues}", $"--txq={queues}",
            $"--forward-mode={forwardMode}", "--no-lsc-interrupt", "--txpkts=64",
        })
        {
            info.ArgumentList.Add(a);
        }

        if (totalMbufs is { } mbufs)
        {
            info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--total-num-mbufs={mbufs}"));
        }

        var pmd = new TestPmd(Process.Start(info)!, prefix);
        try
        {
            await pmd.WaitForAsync("testpmd> ", TimeSpan.FromSeconds(30));
            return pmd;
        }
        catch
        {
            // A testpmd that never reached its prompt is killed and its huge page files removed here: left
            // behind, they starve every later testpmd of huge pages.
            await pmd.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one command line.</summary>
    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until testpmd's stdout after <paramref name="from"/> characters contains <paramref name="text"/>.</summary>
    public async Task<int> WaitForAsync(string text, TimeSpan timeout, int from = 0)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            string output = StandardOutput;
            int at = from <= output.Length ? output.IndexOf(text, from, StringComparison.Ordinal) : -1;
            if (at >= 0)
            {
                return at + text.Length;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"dpdk-testpmd exited ({_process.ExitCode}):\n{Output}");
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"dpdk-testpmd did not print '{text}' in {timeout}:\n{Output}");
    }

    /// <summary>Runs <c>show port stats</c> and parses the counters and the rates since the previous call.</summary>
    /// <param name="port">The port number.</param>
    public async Task<PortStats> ShowPortStatsAsync(int port = 0)
    {
        int mark = StandardOutput.Length;
        await SendAsync(string.Create(CultureInfo.InvariantCulture, $"show port stats {port}"));

        // Parse from the stats header on: the per-stream figures of a "stop" that testpmd prints late can still
        // arrive after the mark, and their TX-packets would be one queue's only.
        int start = await WaitForAsync("NIC statistics for port", TimeSpan.FromSeconds(10), mark);
        int end = await WaitForAsync("Tx-bps:", TimeSpan.FromSeconds(10), start);
        await WaitForAsync("\n", TimeSpan.FromSeconds(5), end);
        string block = StandardOutput[start..];
        return new PortStats(
            Number(block, "RX-packets"),
            Number(block, "RX-bytes"),
            Number(block, "TX-packets"),
            Number(block, "TX-bytes"),
            Number(block, "Rx-pps"),
            Number(block, "Tx-pps"));
    }

    /// <summary>
    /// Runs <c>show fwd stats all</c> and returns the forwarding cores' cycles so far (testpmd counts them with
    /// <c>set record-core-cycles on</c>: TSC cycles in the polls that moved packets).
    /// </summary>
    public async Task<long> ShowBusyCyclesAsync()
    {
        int mark = StandardOutput.Length;
        await SendAsync("show fwd stats all");
        int start = await WaitForAsync("CPU cycles/packet=", TimeSpan.FromSeconds(10), mark);
        await WaitForAsync("Clock", TimeSpan.FromSeconds(5), start);
        Match m = Regex.Match(StandardOutput[start..], @"\(total cycles=(\d+) /");
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new FormatException($"no cycles in:\n{StandardOutput[start..]}");
    }

    /// <summary>Sends <c>quit</c> and waits for the exit; kills testpmd if it does not go.</summary>
    public async Task QuitAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        await SendAsync("quit");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _pumps;
        _process.Dispose();
        foreach (string file in Directory.EnumerateFiles("/dev/hugepages", _prefix + "*"))
        {
            File.Delete(file);
        }

        string run = Path.Combine("/var/run/dpdk", _prefix);
        if (Directory.Exists(run))
        {
            Directory.Delete(run, recursive: true);
        }
    }

    private static long Number(string block, string name)
    {
        Match m = Regex.Match(block, Regex.Escape(name) + @":\s+(\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : throw new FormatException($"no {name} in:\n{block}");
    }

    private async Task Pump(StreamReader reader, StringBuilder? alone)
    {
        char[] buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_output)
            {
                _output.Append(buffer, 0, n);
                alone?.Append(buffer, 0, n);
            }
        }
    }

    /// <summary>Counters of <c>show port stats</c>.</summary>
    internal readonly record struct PortStats(long RxPackets, long RxBytes, long TxPackets, long TxBytes, long RxPps, long TxPps);
}
