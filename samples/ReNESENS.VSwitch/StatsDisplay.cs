using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Switching;

namespace ReNESENS.VSwitch;

/// <summary>Prints per-port rates (pps, Gbit/s) and drops; redraws in place on a terminal, appends lines otherwise.</summary>
internal sealed class StatsDisplay(VirtualSwitchService service, IOptions<StatsOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        double seconds = options.Value.IntervalSeconds;
        VirtualSwitch? sw = service.Switch;
        if (seconds <= 0 || sw is null)
        {
            return;
        }

        var previous = new SwitchPortStatistics[sw.Ports.Count];
        for (int i = 0; i < previous.Length; i++)
        {
            previous[i] = sw.Ports[i].GetStatistics();
        }

        bool redraw = !Console.IsOutputRedirected;
        long last = Environment.TickCount64;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Print(sw, previous, ref last, moveUp: redraw);
            }
        }
        catch (OperationCanceledException)
        {
        }

        // The last, partial interval once more on stop, so that even a short run ends with its figures.
        Print(sw, previous, ref last, moveUp: false);
    }

    /// <summary>Prints each port's rates since the previous call and its drops so far.</summary>
    private static void Print(VirtualSwitch sw, SwitchPortStatistics[] previous, ref long last, bool moveUp)
    {
        long now = Environment.TickCount64;
        double dt = Math.Max(1, now - last) / 1000.0;
        last = now;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"port",-12} {"rx pps",10} {"rx Gbit/s",10} {"tx pps",10} {"tx Gbit/s",10} {"drops",8}");
        for (int i = 0; i < previous.Length; i++)
        {
            SwitchPortStatistics s = sw.Ports[i].GetStatistics();
            SwitchPortStatistics p = previous[i];
            previous[i] = s;
            text.AppendLine(CultureInfo.InvariantCulture, $"{sw.Ports[i].Name,-12} {(s.ReceivedPackets - p.ReceivedPackets) / dt,10:F0} {(s.ReceivedBytes - p.ReceivedBytes) * 8 / dt / 1e9,10:F3} {(s.TransmittedPackets - p.TransmittedPackets) / dt,10:F0} {(s.TransmittedBytes - p.TransmittedBytes) * 8 / dt / 1e9,10:F3} {s.TotalDrops,8}");
        }

        Console.Write(text.ToString());
        if (moveUp)
        {
            Console.Write($"\u001b[{previous.Length + 1}A");
        }
    }
}
