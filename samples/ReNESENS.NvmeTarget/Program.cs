using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using ReNESENS.DataPlane.Nvme;
using ReNESENS.NvmeTarget;

// The sample storage appliance: an NVMe/TCP target. With no arguments it serves one 1 GiB RAM
// namespace on 127.0.0.1:4420 (the embedded default configuration); Ctrl+C stops it cleanly.
var config = new Option<FileInfo?>("--config") { Description = "JSON configuration: listener, subsystems, namespaces, allowed hosts (see --print-default-config)." };
var port = new Option<int?>("--port") { Description = "Override the configured TCP port (0 picks a free one)." };
var interval = new Option<double>("--stats-interval") { Description = "Seconds between statistics lines (0: none).", DefaultValueFactory = _ => 1.0 };
var printDefault = new Option<bool>("--print-default-config") { Description = "Print the embedded default configuration and exit." };
var root = new RootCommand("ReNESENS NVMe/TCP target: exports RAM, file and transform (compressed + encrypted) namespaces over NVMe/TCP.") { config, port, interval, printDefault };
root.SetAction(async (result, cancellationToken) =>
{
    if (result.GetValue(printDefault))
    {
        Console.WriteLine(TargetConfig.EmbeddedDefault());
        return 0;
    }

    TargetConfig settings = TargetConfig.Load(result.GetValue(config)?.FullName);
    if (result.GetValue(port) is int overridePort)
    {
        settings.Port = overridePort;
    }

    using ILoggerFactory logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
    using var stop = new CancellationTokenSource();
    using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
    using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
    using CancellationTokenRegistration external = cancellationToken.Register(stop.Cancel);

    using var statistics = new LiveStatistics();
    await using var target = new NvmeTcpTarget(settings.ToOptions(), logging.CreateLogger<NvmeTcpTarget>());
    target.Start();
    Console.WriteLine($"Listening on {target.LocalEndPoint} ({settings.Subsystems.Count} subsystem(s): {string.Join(", ", settings.Subsystems.Select(s => s.Nqn))})");
    TimeSpan period = TimeSpan.FromSeconds(result.GetValue(interval));
    try
    {
        if (period > TimeSpan.Zero)
        {
            using var timer = new PeriodicTimer(period);
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                Console.WriteLine(statistics.Snapshot(period));
            }
        }
        else
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
    }
    catch (OperationCanceledException)
    {
        // Ctrl+C or SIGTERM.
    }

    Console.WriteLine("Stopping: closing connections");
    await target.StopAsync();
    Console.WriteLine("Stopped");
    return 0;
});
// SIGINT/SIGTERM are handled above (graceful stop); System.CommandLine's own handler, which
// would end the process after a timeout, is turned off.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
