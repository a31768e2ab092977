using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.VSwitch;

var config = new Option<FileInfo?>("--config")
{
    Description = "A JSON file with a 'Switch' section (Forwarding, Ports) that replaces the embedded default.",
};
var duration = new Option<double>("--duration")
{
    Description = "Stop after this many seconds (0: run until Ctrl+C or SIGTERM).",
    DefaultValueFactory = _ => 0,
};
var workers = new Option<int?>("--workers")
{
    Description = "Forwarding threads (each TAP port then gets as many queues).",
};
var mode = new Option<string?>("--mode")
{
    Description = "Poll (busy) or Event (poll(2) when idle).",
};
var noLab = new Option<bool>("--no-lab")
{
    Description = "Create no network namespaces and run no start ping.",
};
var stats = new Option<double?>("--stats-interval")
{
    Description = "Seconds between statistics refreshes (0: none).",
};
var root = new RootCommand(
    "ReNESENS virtual switch: an L2 learning switch over TAP ports (vnet_hdr, TSO) and vhost-user ports. Without arguments it puts one port " +
    "in each of two new network namespaces (rn-vsw-a 10.77.0.1/24, rn-vsw-b 10.77.0.2/24), pings across it, shows live " +
    "statistics and removes the namespaces on exit. Configuration keys may also be given as --Switch:Forwarding:Workers=2.")
{
    config, duration, workers, mode, noLab, stats,
};
root.TreatUnmatchedTokensAsErrors = false;
root.SetAction(async (result, cancellationToken) =>
{
    HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = false, Args = [] });
    builder.Configuration.Sources.Clear();
    using Stream defaults = typeof(NetworkLab).Assembly.GetManifestResourceStream("defaults.json")!;
    if (result.GetValue(config) is { } file)
    {
        builder.Configuration.AddJsonFile(file.FullName, optional: false);
    }
    else
    {
        builder.Configuration.AddJsonStream(defaults);
    }

    var overrides = new Dictionary<string, string?>();
    if (result.GetValue(workers) is { } w)
    {
        overrides["Switch:Forwarding:Workers"] = w.ToString(CultureInfo.InvariantCulture);
    }

    if (result.GetValue(mode) is { } m)
    {
        overrides["Switch:Forwarding:Mode"] = m;
    }

    if (result.GetValue(noLab))
    {
        overrides["Lab:Enabled"] = "false";
    }

    if (result.GetValue(stats) is { } s)
    {
        overrides["Stats:IntervalSeconds"] = s.ToString(CultureInfo.InvariantCulture);
    }

    builder.Configuration.AddInMemoryCollection(overrides);
    builder.Configuration.AddCommandLine([.. result.UnmatchedTokens]);
    builder.Services.AddVirtualSwitch(o => builder.Configuration.GetSection("Switch").Bind(o));
    builder.Services.Configure<LabOptions>(builder.Configuration.GetSection("Lab"));
    builder.Services.Configure<StatsOptions>(builder.Configuration.GetSection("Stats"));
    builder.Services.AddHostedService<NetworkLab>();
    builder.Services.AddHostedService<StatsDisplay>();
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));

    using IHost host = builder.Build();
    double seconds = result.GetValue(duration);
    using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    if (seconds > 0)
    {
        limit.CancelAfter(TimeSpan.FromSeconds(seconds));
    }

    await host.RunAsync(limit.Token);
    return Environment.ExitCode;
});
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
