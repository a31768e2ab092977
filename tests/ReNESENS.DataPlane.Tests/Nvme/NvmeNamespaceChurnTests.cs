using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>
/// Namespaces detached, re-attached and resized under load: the grace period must keep every back-end alive while a
/// queue still uses it (a RAM back-end unmapped too early kills the test process), and every command ends with success
/// or the status the change explains. Without the grace period (WaitForQuiescenceAsync returning at once) this test
/// fails: connections end on a disposed region and their commands with a transport error.
/// </summary>
[Collection(NvmeSerialCollection.Name)]
public sealed class NvmeNamespaceChurnTests
{
    [Fact]
    public async Task IoDuringDetachAttachAndResize_EndsWithSuccessOrTheStatusTheChangeExplains()
    {
        await using NvmeTestTarget target = NvmeTestTarget.Start(o => o.Subsystems[0].Namespaces[0].MaxSizeBytes = 16L << 20);
        await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 8L << 20 });
        await using NvmeTcpInitiator host = await target.ConnectAsync(NvmeTestTarget.Host(queues: 2));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int[] outcomes = new int[3];   // success, invalid namespace, LBA out of range
        int unexpected = 0;

        async Task WorkerAsync(int seed)
        {
            var random = new Random(seed);
            byte[] buffer = new byte[128 * 1024];  // above the in-capsule size: writes go through R2T and H2CData
            for (int i = 0; i < 20000 && !stop.IsCancellationRequested; i++)
            {
                uint nsid = (uint)random.Next(1, 3);
                ulong lba = (ulong)random.Next(0, (8 << 20) / 512 - 256);
                try
                {
                    if (random.Next(2) == 0)
                    {
                        await host.WriteAsync(nsid, lba, buffer);
                    }
                    else
                    {
                        await host.ReadAsync(nsid, lba, buffer);
                    }

                    Interlocked.Increment(ref outcomes[0]);
                }
                catch (NvmeCommandException e) when (e.StatusCode == NvmeStatus.InvalidNamespace)
                {
                    Interlocked.Increment(ref outcomes[1]);
                }
                catch (NvmeCommandException e) when (e.StatusCode == NvmeStatus.LbaOutOfRange)
                {
                    Interlocked.Increment(ref outcomes[2]);
                }
                catch (NvmeCommandException)
                {
                    Interlocked.Increment(ref unexpected);
                }
            }
        }

        Task[] workers = [.. Enumerable.Range(0, 8).Select(s => Task.Run(() => WorkerAsync(s)))];
        for (int round = 0; round < 300 && !stop.IsCancellationRequested; round++)
        {
            Assert.True(await target.Target.DetachNamespaceAsync(NvmeTestTarget.Nqn, 2));
            await Task.Delay(1);
            await target.Target.AttachNamespaceAsync(NvmeTestTarget.Nqn, new NvmeNamespaceOptions { NamespaceId = 2, SizeBytes = 8L << 20 });
            await target.Target.ResizeNamespaceAsync(NvmeTestTarget.Nqn, 1, round % 2 == 0 ? 1L << 20 : 16L << 20);
            await Task.Delay(1);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, unexpected);
        Assert.True(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0, $"success {outcomes[0]}, invalid namespace {outcomes[1]}, LBA out of range {outcomes[2]}");

        // Still a working target afterwards.
        byte[] data = new byte[4096];
        Random.Shared.NextBytes(data);
        await host.WriteAsync(2, 8, data);
        byte[] back = new byte[4096];
        await host.ReadAsync(2, 8, back);
        Assert.Equal(data, back);
    }
}
