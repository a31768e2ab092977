using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Hosting;

namespace ReNESENS.VSwitch;

/// <summary>
/// Moves each port whose settings name a <c>namespace</c> into that (new) network namespace with its <c>address</c>,
/// pings from the first namespace to the second one's address to prove the path, and removes the namespaces again
/// at stop (also when start fails half way). Runs after the switch service, which created the TAP devices.
/// </summary>
internal sealed partial class NetworkLab(
    IOptions<VirtualSwitchHostOptions> switchOptions,
    IOptions<LabOptions> labOptions,
    VirtualSwitchService switchService,
    IHostApplicationLifetime lifetime,
    ILogger<NetworkLab> logger) : IHostedService
{
    private readonly List<string> _created = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!labOptions.Value.Enabled)
        {
            return;
        }

        var placed = new List<(string Namespace, string Address)>();
        try
        {
            foreach (SwitchPortConfiguration port in switchOptions.Value.Ports)
            {
                if (!port.Settings.TryGetValue("namespace", out string? ns))
                {
                    continue;
                }

                string iface = port.Settings.TryGetValue("interface", out string? i) ? i : port.Name;
                if (File.Exists($"/run/netns/{ns}"))
                {
                    // A namespace of ours left by a run that was killed: start clean.
                    await Ip.RunAsync(cancellationToken, "netns", "del", ns);
                }

                await Ip.RunAsync(cancellationToken, "netns", "add", ns);
                _created.Add(ns);
                await Ip.RunAsync(cancellationToken, "link", "set", iface, "netns", ns);
                await Ip.RunAsync(cancellationToken, "-n", ns, "link", "set", "lo", "up");
                if (port.Settings.TryGetValue("address", out string? address))
                {
                    await Ip.RunAsync(cancellationToken, "-n", ns, "addr", "add", address, "dev", iface);
                    placed.Add((ns, address.Split('/')[0]));
                }

                await Ip.RunAsync(cancellationToken, "-n", ns, "link", "set", iface, "up");
                LogPlaced(logger, iface, ns, address ?? "(no address)");
            }

            int count = labOptions.Value.PingCount;
            if (count > 0 && placed.Count >= 2)
            {
                (string from, _) = placed[0];
                (_, string to) = placed[1];
                (int code, string output) = await Ip.ExecAsync(cancellationToken, "ip", "netns", "exec", from, "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2", to);
                string summary = output.Split('\n').FirstOrDefault(l => l.Contains("packets transmitted", StringComparison.Ordinal)) ?? output;
                if (code != 0)
                {
                    LogPingFailed(logger, from, to, summary);
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                    return;
                }

                LogPing(logger, from, to, summary);
            }
        }
        catch
        {
            await RemoveAsync();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop forwarding and close the TAP devices before their namespaces go (hosted services stop in reverse order).
        await switchService.StopAsync(cancellationToken);
        await RemoveAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Port {Interface} is in namespace {Namespace} with {Address}")]
    private static partial void LogPlaced(ILogger logger, string @interface, string @namespace, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ping {From} -> {To} through the switch: {Summary}")]
    private static partial void LogPing(ILogger logger, string from, string to, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ping {From} -> {To} through the switch failed: {Summary}")]
    private static partial void LogPingFailed(ILogger logger, string from, string to, string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed namespace {Namespace}")]
    private static partial void LogRemoved(ILogger logger, string @namespace);

    private async Task RemoveAsync()
    {
        foreach (string ns in _created)
        {
            await Ip.RunAsync(CancellationToken.None, "netns", "del", ns);
            LogRemoved(logger, ns);
        }

        _created.Clear();
    }
}
