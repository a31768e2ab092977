using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Hosting;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Hosting;

/// <summary>AddNvmeTcpTarget on a real generic host, and the configuration reader with good and bad JSON.</summary>
public sealed class NvmeTcpTargetHostingTests
{
    private const string Nqn = "nqn.2026-11.io.renesens:hosted";

    [Fact]
    public void Configuration_ReadsEveryKey_WhateverTheirCase()
    {
        IConfiguration config = Json("""
            { "Target": {
                "LISTENERS": [ { "address": "127.0.0.1", "port": 4420 }, { "Address": "::1", "Port": "4421" } ],
                "maxQueueDepth": 64, "maxIoQueues": 4, "maxH2CData": 65536, "inCapsuleDataSize": 4096,
                "maxDataTransferSize": 524288, "connectTimeout": "00:00:05",
                "subsystems": [ {
                  "nqn": "nqn.2026-11.io.renesens:a", "serialNumber": "SN1", "modelNumber": "M1", "maxNamespaceId": 16,
                  "allowedHosts": [ "nqn.2014-08.org.nvmexpress:uuid:1", "nqn.2014-08.org.nvmexpress:uuid:2" ],
                  "namespaces": [
                    { "namespaceId": 1, "sizeBytes": 1048576, "maxSizeBytes": 4194304, "blockSize": 4096, "uuid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
                    { "namespaceId": 2, "sizeBytes": 0, "filePath": "/dev/loop7", "directIo": "REQUIRED" },
                    { "namespaceId": 3, "transform": { "key": "00ff", "storeSizeBytes": 8192 } } ] } ] } }
            """).GetSection("Target");
        var o = new NvmeTcpTargetOptions();
        NvmeTcpTargetConfiguration.Bind(config, o);
        Assert.Equal(2, o.Listeners.Count);
        Assert.Equal(("::1", 4421), (o.Listeners[1].Address, o.Listeners[1].Port));
        Assert.Equal((64, 4, 65536, 4096, 524288), (o.MaxQueueDepth, o.MaxIoQueues, o.MaxH2CData, o.InCapsuleDataSize, o.MaxDataTransferSize));
        Assert.Equal(TimeSpan.FromSeconds(5), o.ConnectTimeout);
        NvmeSubsystemOptions s = Assert.Single(o.Subsystems);
        Assert.Equal(("nqn.2026-11.io.renesens:a", "SN1", "M1", 16u), (s.Nqn, s.SerialNumber, s.ModelNumber, s.MaxNamespaceId));
        Assert.Equal(["nqn.2014-08.org.nvmexpress:uuid:1", "nqn.2014-08.org.nvmexpress:uuid:2"], s.AllowedHosts);
        Assert.Equal(3, s.Namespaces.Count);
        Assert.Equal((1u, 1048576L, 4194304L, 4096), (s.Namespaces[0].NamespaceId, s.Namespaces[0].SizeBytes, s.Namespaces[0].MaxSizeBytes, s.Namespaces[0].BlockSize));
        Assert.Equal(Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), s.Namespaces[0].Uuid);
        Assert.Equal(("/dev/loop7", NvmeDirectIoMode.Required, 0L), (s.Namespaces[1].FilePath, s.Namespaces[1].DirectIo, s.Namespaces[1].SizeBytes));
        Assert.Equal(("00ff", 8192L), (s.Namespaces[2].Transform!.Key, s.Namespaces[2].Transform!.StoreSizeBytes));

        // The reader converts; meaning is the validator's: here the transform key is too short.
        List<string> problems = NvmeTargetOptionsValidator.Collect(o);
        Assert.Contains(problems, p => p.StartsWith("Subsystems:0:Namespaces:2:Transform:Key:", StringComparison.Ordinal));
    }

    [Fact]
    public void Configuration_NamesEveryBadKeyAndValueByItsPath_AllAtOnce()
    {
        IConfiguration config = Json("""
            { "Target": {
                "port": "4420x", "maxIoQueues": 99999999999, "connectTimeout": "soon", "colour": "blue",
                "listeners": { "first": { "address": "127.0.0.1" } },
                "subsystems": [ {
                  "nqn": { "nested": "x" },
                  "allowedHosts": "nqn.2014-08.org.nvmexpress:uuid:1",
                  "namespaces": [ { "namespaceId": -1, "directIo": "sometimes", "uuid": "not-a-uuid", "transform": "yes", "blokSize": 512 }, 42 ] } ] } }
            """).GetSection("Target");
        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => NvmeTcpTargetConfiguration.Bind(config, new NvmeTcpTargetOptions()));
        string[] expected =
        [
            "Target:port: '4420x' is not an integer",
            "Target:maxIoQueues: '99999999999' is not an integer",
            "Target:connectTimeout: 'soon' is not a duration",
            "Target:colour: is not a setting here",
            "Target:listeners:first: 'first' is not a list index",
            "Target:subsystems:0:nqn: is a section where a value belongs",
            "Target:subsystems:0:allowedHosts: 'nqn.2014-08.org.nvmexpress:uuid:1' is a value where a list belongs",
            "Target:subsystems:0:namespaces:0:namespaceId: '-1' is not an integer from 0 to 4294967295",
            "Target:subsystems:0:namespaces:0:directIo: 'sometimes' is not Auto, Required or Off",
            "Target:subsystems:0:namespaces:0:uuid: 'not-a-uuid' is not a UUID",
            "Target:subsystems:0:namespaces:0:transform: 'yes' is a value where settings belong",
            "Target:subsystems:0:namespaces:0:blokSize: is not a setting here",
            "Target:subsystems:0:namespaces:1: '42' is a value where settings belong",
        ];
        foreach (string start in expected)
        {
            Assert.Contains(e.Failures, f => f.StartsWith(start, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, e.Failures.Count());
    }

    [Fact]
    public async Task HostedTarget_StartsOnTheHost_ServesIo_CountsOnItsMeter_AndStops()
    {
        long writes = 0;
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NvmeTcpTarget.MeterName && instrument.Name == "nvme.target.writes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref writes, value));
        meter.Start();

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes($$"""
            { "Target": { "listeners": [ { "address": "127.0.0.1", "port": 0 }, { "address": "127.0.0.1", "port": 0 } ],
              "subsystems": [ { "nqn": "{{Nqn}}", "namespaces": [ { "namespaceId": 1, "sizeBytes": 4194304, "blockSize": 512 } ] } ] } }
            """)));
        builder.Logging.AddFilter(_ => false);
        builder.Services.AddNvmeTcpTarget(builder.Configuration.GetSection("Target"));
        using IHost host = builder.Build();
        var service = host.Services.GetRequiredService<NvmeTcpTargetService>();
        Assert.Contains(host.Services.GetServices<IHostedService>(), h => ReferenceEquals(h, service));
        Assert.Null(service.Target);

        await host.StartAsync();
        NvmeTcpTarget target = Assert.IsType<NvmeTcpTarget>(service.Target);
        Assert.Equal(2, target.LocalEndPoints.Count);
        byte[] data = new byte[8192];
        Random.Shared.NextBytes(data);
        long before = Interlocked.Read(ref writes);
        await using (NvmeTcpInitiator first = await NvmeTcpInitiator.ConnectAsync(target.LocalEndPoints[0], new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn }))
        {
            await first.WriteAsync(1, 8, data);
        }

        await using (NvmeTcpInitiator second = await NvmeTcpInitiator.ConnectAsync(target.LocalEndPoints[1], new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn }))
        {
            byte[] back = new byte[data.Length];
            await second.ReadAsync(1, 8, back);
            Assert.Equal(data, back);
        }

        Assert.True(Interlocked.Read(ref writes) - before >= 1);
        System.Net.IPEndPoint endPoint = target.LocalEndPoints[0];
        await host.StopAsync();
        Assert.Null(service.Target);
        await Assert.ThrowsAnyAsync<Exception>(() => NvmeTcpInitiator.ConnectAsync(endPoint, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn }));
    }

    [Fact]
    public async Task InvalidOptions_FailTheHostStart_WithEveryProblem_AndOpenNothing()
    {
        string file = Path.Combine("/var/tmp", $"rn-hosting-{Guid.NewGuid():N}.img");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNvmeTcpTarget(o =>
        {
            o.Port = 0;
            o.MaxQueueDepth = 1;
            var subsystem = new NvmeSubsystemOptions { Nqn = Nqn };
            subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 1 << 20, BlockSize = 512, FilePath = file });
            subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 1 << 20, BlockSize = 1000 });
            o.Subsystems.Add(subsystem);
        });
        services.AddSingleton<IHostLifetime, NoLifetime>();
        using IHost host = new HostBuilder().ConfigureServices(s => { foreach (ServiceDescriptor d in services) { s.Add(d); } }).Build();
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(e.Failures, f => f.StartsWith("MaxQueueDepth: 1", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Subsystems:0:Namespaces:1:BlockSize: 1000", StringComparison.Ordinal));
        Assert.False(File.Exists(file));
    }

    private static IConfiguration Json(string text) => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(text))).Build();

    private sealed class NoLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
