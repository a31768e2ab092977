using System.Diagnostics;
using System.Text;

namespace ReNESENS.DataPlane.IntegrationTests.Nvme;

/// <summary>A bounded tshark capture on the loopback interface for one TCP port.</summary>
internal sealed class TsharkCapture : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private TsharkCapture(Process process, string file)
    {
        _process = process;
        File = file;
    }

    public string File { get; }

    /// <summary>Starts capturing and returns once tshark says it is capturing (at most 60 s of capture).</summary>
    public static async Task<TsharkCapture> StartAsync(int port)
    {
        string file = Path.Combine(Path.GetTempPath(), $"rn-nvme-{Guid.NewGuid():N}.pcapng");
        var info = new ProcessStartInfo("tshark", ["-i", "lo", "-f", $"tcp port {port}", "-w", file, "-a", "duration:60"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process process = Process.Start(info)!;
        var capture = new TsharkCapture(process, file);
        var ready = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (capture._stderr)
            {
                capture._stderr.AppendLine(e.Data);
            }

            if (e.Data.Contains("Capturing on", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        Task done = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(30_000));
        if (done != ready.Task)
        {
            await capture.DisposeAsync();
            throw new InvalidOperationException($"tshark did not start capturing:\n{capture._stderr}");
        }

        // "Capturing on" is printed just before the capture filter is live: give it a moment.
        await Task.Delay(1500);
        return capture;
    }

    /// <summary>Lets the last packets land, then stops tshark with SIGINT so that it closes the file cleanly.</summary>
    public async Task StopAsync()
    {
        await Task.Delay(1000);
        if (!_process.HasExited)
        {
            using Process kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        System.IO.File.Delete(File);
    }
}
