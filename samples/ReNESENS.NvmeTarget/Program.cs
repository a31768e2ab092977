using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Nvme;
using ReNESENS.NvmeTarget;

// The sample storage appliance: an NVMe/TCP target on the generic host (AddNvmeTcpTarget). With no arguments it
// serves one 1 GiB RAM namespace on 127.0.0.1:4420 (the embedded default configuration); Ctrl+C or SIGTERM stops
// it cleanly. Configuration keys may also be given as --Target:MaxQueueDepth=64.
var config = new Option<FileInfo?>("--config") { Description = "JSON configuration with a 'Target' section (listeners, subsystems, namespaces, allowed hosts) and an optional 'Statistics' section; see --print-default-config." };
var port = new Option<int?>("--port") { Description = "Override the port of the first listener (0 picks a free one)." };
var interval = new Option<double?>("--stats-interval") { Description = "Seconds between statistics lines (0: none)." };
var printDefault = new Option<bool>("--print-default-config") { Description = "Print the embedded default configuration and exit." };
var root = new RootCommand("ReNESENS NVMe/TCP target: exports RAM, file or block-device (O_DIRECT) and transform (compressed + encrypted) namespaces over NVMe/TCP.")
{
    config, port, interval, printDefault,
};
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction(async (result, cancellationToken) =>
{
    using Stream defaults = typeof(LiveStatistics).Assembly.GetManifestResourceStream("default-config.json")!;
    if (result.GetValue(printDefault))
    {
        using var reader = new StreamReader(defaults);
        Console.WriteLine(await reader.ReadToEndAsync(cancellationToken));
        return 0;
    }

    HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
    builder.Configuration.Sources.Clear();
    try
    {
        if (result.GetValue(config) is { } file)
        {
            builder.Configuration.AddJsonFile(file.FullName, optional: false);
        }
        else
        {
            builder.Configuration.AddJsonStream(defaults);
        }
    }
    catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException or FileNotFoundException)
    {
        Console.Error.WriteLine($"The configuration file cannot be read: {e.Message}");
        return 2;
    }

    if (result.GetValue(interval) is { } seconds)
    {
        builder.Configuration.AddInMemoryCollection([new("Statistics:IntervalSeconds", seconds.ToString(CultureInfo.InvariantCulture))]);
    }

    builder.Configuration.AddCommandLine([.. result.UnmatchedTokens]);
    int? overridePort = result.GetValue(port);
    builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true);
    builder.Services.AddNvmeTcpTarget(o =>
    {
        NvmeTcpTargetConfiguration.Bind(builder.Configuration.GetSection("Target"), o);
        if (overridePort is int p)
        {
            if (o.Listeners.Count > 0)
            {
                o.Listeners[0].Port = p;
            }
            else
            {
                o.Port = p;
            }
        }
    });
    builder.Services.Configure<StatisticsOptions>(builder.Configuration.GetSection("Statistics"));
    builder.Services.AddHostedService<LiveStatistics>();
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

    using IHost host = builder.Build();
    try
    {
        await host.StartAsync(cancellationToken);
    }
    catch (OptionsValidationException e)
    {
        Console.Error.WriteLine("The configuration is not valid:");
        foreach (string failure in e.Failures)
        {
            Console.Error.WriteLine($"  {failure}");
        }

        return 2;
    }

    NvmeTcpTarget target = host.Services.GetRequiredService<NvmeTcpTargetService>().Target!;
    string subsystems = string.Join(", ", host.Services.GetRequiredService<IOptions<NvmeTcpTargetOptions>>().Value.Subsystems.Select(s => s.Nqn));
    foreach (System.Net.IPEndPoint endPoint in target.LocalEndPoints)
    {
        Console.WriteLine($"Listening on {endPoint} ({subsystems})");
    }

    await host.WaitForShutdownAsync(cancellationToken);
    Console.WriteLine("Stopped");
    return 0;
});

// SIGINT/SIGTERM are the host's (graceful stop); System.CommandLine's own handler, which would end the process
// after a timeout, is turned off.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
