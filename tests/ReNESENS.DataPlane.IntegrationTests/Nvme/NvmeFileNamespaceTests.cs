using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.IntegrationTests.Nvme;

/// <summary>The file back-end against the kernel's page cache and disk: data outlives the target.</summary>
public sealed class NvmeFileNamespaceTests
{
    [Fact]
    public async Task WrittenThroughOneConnection_ReadThroughAnotherAfterATargetRestart()
    {
        string file = Path.Combine(Path.GetTempPath(), $"rn-nvme-ns-{Guid.NewGuid():N}.img");
        try
        {
            byte[] fua = new byte[4096];
            byte[] flushed = new byte[256 * 1024];
            Random.Shared.NextBytes(fua);
            Random.Shared.NextBytes(flushed);

            await using (NvmeTcpTarget first = Start(file))
            {
                await using NvmeTcpInitiator writer = await NvmeTcpInitiator.ConnectAsync(first.LocalEndPoint!, Host());
                await writer.WriteAsync(1, 10, fua, 4096, forceUnitAccess: true);
                await writer.WriteAsync(1, 100, flushed, 4096);
                await writer.FlushAsync(1);
                await writer.DisconnectAsync();
            }

            Assert.Equal(16L << 20, new FileInfo(file).Length);

            // What the file holds, read by the kernel and not by us.
            byte[] onDisk = new byte[4096];
            using (FileStream stream = File.OpenRead(file))
            {
                stream.Position = 10 * 4096;
                stream.ReadExactly(onDisk);
            }

            Assert.Equal(fua, onDisk);

            await using NvmeTcpTarget second = Start(file);
            await using NvmeTcpInitiator reader = await NvmeTcpInitiator.ConnectAsync(second.LocalEndPoint!, Host());
            byte[] back = new byte[256 * 1024];
            await reader.ReadAsync(1, 100, back, 4096);
            Assert.Equal(flushed, back);
            await reader.ReadAsync(1, 10, back.AsMemory(0, 4096), 4096);
            Assert.Equal(fua, back[..4096]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static NvmeTcpTarget Start(string file)
    {
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = "nqn.2026-11.io.renesens:file" };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = 16L << 20, BlockSize = 4096, FilePath = file });
        options.Subsystems.Add(subsystem);
        var target = new NvmeTcpTarget(options);
        target.Start();
        return target;
    }

    private static NvmeTcpInitiatorOptions Host() => new() { SubsystemNqn = "nqn.2026-11.io.renesens:file", IoQueueCount = 2 };
}
