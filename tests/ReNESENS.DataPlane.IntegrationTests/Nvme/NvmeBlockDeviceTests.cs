using System.Globalization;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.IntegrationTests.Nvme;

/// <summary>
/// The file back-end on a real block device: a loop device with 4096-byte logical blocks over an image in /var/tmp
/// (ext4), set up with losetup and removed after. The device's geometry comes from BLKSSZGET/BLKGETSIZE64; what
/// landed on it is read back by dd with O_DIRECT, not by us.
/// </summary>
public sealed class NvmeBlockDeviceTests
{
    private const string Nqn = "nqn.2026-11.io.renesens:loop";
    private const int DeviceBytes = 32 << 20;

    [Fact]
    public async Task WholeLoopDevice_WrittenWithFuaAndFlush_ReadByDdAndAfterARestart()
    {
        await using var loop = await LoopDevice.CreateAsync(DeviceBytes, sectorSize: 4096);
        byte[] fua = new byte[64 * 1024];
        byte[] flushed = new byte[512 * 1024];
        Random.Shared.NextBytes(fua);
        Random.Shared.NextBytes(flushed);

        await using (NvmeTcpTarget first = Start(loop.Device, blockSize: 4096, size: 0))
        {
            await using NvmeTcpInitiator writer = await NvmeTcpInitiator.ConnectAsync(first.LocalEndPoint!, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn, IoQueueCount = 2 });
            NvmeNamespaceInfo ns = await writer.IdentifyNamespaceAsync(1);
            Assert.Equal(4096, ns.BlockSize);
            Assert.Equal(DeviceBytes / 4096, ns.BlockCount);
            await writer.WriteAsync(1, 3, fua, 4096, forceUnitAccess: true);
            await writer.WriteAsync(1, 1000, flushed, 4096);
            await writer.FlushAsync(1);
            await writer.DisconnectAsync();
        }

        Assert.Equal(fua, await ReadWithDdAsync(loop.Device, 3 * 4096, fua.Length));
        Assert.Equal(flushed, await ReadWithDdAsync(loop.Device, 1000 * 4096, flushed.Length));

        await using NvmeTcpTarget second = Start(loop.Device, blockSize: 4096, size: 0);
        await using NvmeTcpInitiator reader = await NvmeTcpInitiator.ConnectAsync(second.LocalEndPoint!, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn });
        byte[] back = new byte[flushed.Length];
        await reader.ReadAsync(1, 1000, back, 4096);
        Assert.Equal(flushed, back);
        await reader.ReadAsync(1, 3, back.AsMemory(0, fua.Length), 4096);
        Assert.Equal(fua, back[..fua.Length]);
        await reader.ReadAsync(1, (DeviceBytes / 4096) - 1, back.AsMemory(0, 4096), 4096);
    }

    [Fact]
    public async Task ABlockSizeBelowTheDevicesAndASizeAboveIt_AreRefused()
    {
        await using var loop = await LoopDevice.CreateAsync(DeviceBytes, sectorSize: 4096);
        ArgumentException small = Assert.Throws<ArgumentException>(() => Start(loop.Device, blockSize: 512, size: 1 << 20));
        Assert.Contains("4096-byte logical blocks", small.Message, StringComparison.Ordinal);
        ArgumentException large = Assert.Throws<ArgumentException>(() => Start(loop.Device, blockSize: 4096, size: 2L * DeviceBytes));
        Assert.Contains(DeviceBytes.ToString(CultureInfo.InvariantCulture), large.Message, StringComparison.Ordinal);

        // A 512-byte device takes a 512-byte namespace.
        await using var fine = await LoopDevice.CreateAsync(DeviceBytes, sectorSize: 512);
        await using NvmeTcpTarget target = Start(fine.Device, blockSize: 512, size: 1 << 20);
        await using NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(target.LocalEndPoint!, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn });
        byte[] data = new byte[1536];
        Random.Shared.NextBytes(data);
        await host.WriteAsync(1, 5, data);
        await host.FlushAsync(1);
        Assert.Equal(data, await ReadWithDdAsync(fine.Device, 5 * 512, data.Length, blockSize: 512));
    }

    private static NvmeTcpTarget Start(string device, int blockSize, long size)
    {
        var options = new NvmeTcpTargetOptions { Port = 0 };
        var subsystem = new NvmeSubsystemOptions { Nqn = Nqn };
        subsystem.Namespaces.Add(new NvmeNamespaceOptions { NamespaceId = 1, SizeBytes = size, BlockSize = blockSize, FilePath = device, DirectIo = NvmeDirectIoMode.Required });
        options.Subsystems.Add(subsystem);
        var target = new NvmeTcpTarget(options);
        target.Start();
        return target;
    }

    private static async Task<byte[]> ReadWithDdAsync(string device, long offset, int length, int blockSize = 4096)
    {
        string output = Path.Combine("/var/tmp", $"rn-dd-{Guid.NewGuid():N}.bin");
        try
        {
            ProcessRunner.Result dd = await ProcessRunner.RunAsync("dd", [$"if={device}", $"of={output}", $"bs={blockSize}", $"skip={offset / blockSize}", $"count={length / blockSize}", "iflag=direct", "status=none"]);
            Assert.True(dd.ExitCode == 0, dd.ToString());
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>A loop device over a sparse image in /var/tmp; detached and deleted on dispose.</summary>
    private sealed class LoopDevice : IAsyncDisposable
    {
        private readonly string _image;

        private LoopDevice(string image, string device)
        {
            _image = image;
            Device = device;
        }

        public string Device { get; }

        public static async Task<LoopDevice> CreateAsync(long size, int sectorSize)
        {
            string image = Path.Combine("/var/tmp", $"rn-loop-{Guid.NewGuid():N}.img");
            await using (FileStream stream = File.Create(image))
            {
                stream.SetLength(size);
            }

            ProcessRunner.Result setup = await ProcessRunner.RunAsync("losetup", ["--find", "--show", "--sector-size", sectorSize.ToString(CultureInfo.InvariantCulture), image]);
            if (setup.ExitCode != 0)
            {
                File.Delete(image);
                throw new InvalidOperationException($"losetup failed: {setup}");
            }

            return new LoopDevice(image, setup.Output.Trim());
        }

        public async ValueTask DisposeAsync()
        {
            await ProcessRunner.RunAsync("losetup", ["-d", Device]);
            File.Delete(_image);
        }
    }
}
