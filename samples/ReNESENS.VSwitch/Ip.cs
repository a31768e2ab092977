using System.Diagnostics;
using System.Text;

namespace ReNESENS.VSwitch;

/// <summary>Runs iproute2 and friends, bounded in time.</summary>
internal static class Ip
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Runs <c>ip</c> with the arguments; throws when it fails.</summary>
    internal static async Task RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        (int code, string output) = await ExecAsync(cancellationToken, "ip", args);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({code}): {output.Trim()}");
        }
    }

    /// <summary>Runs a program, returns its exit code and combined output.</summary>
    internal static async Task<(int Code, string Output)> ExecAsync(CancellationToken cancellationToken, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        var output = new StringBuilder();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
