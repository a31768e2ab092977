using System.Diagnostics;
using System.Net;
using Microsoft.Win32.SafeHandles;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Benchmarks.Nvme;

/// <summary>
/// <c>-- nvme-file [seconds]</c>: our initiator (this process) against the sample target (another process) exporting
/// one 1 GiB file namespace in /var/tmp (ext4), 4096-byte blocks, once with O_DIRECT (<c>directIo: required</c>) and
/// once through the page cache (<c>off</c>): 4 KiB random write and read and 128 KiB write and read at QD32 over one
/// I/O queue, and O_DIRECT once more over 4 queues (the back-end is called inline by each queue's loop, so queues are
/// what puts several requests in the kernel at once). Beside each, in the same run, the anchor: the same pattern straight on the file from this process
/// (pread/pwrite with the same descriptor flags from 32 threads, page-aligned buffers), that is what the storage gives
/// without NVMe/TCP. Writes run first, so a buffered read finds the blocks in the page cache, as it would in use.
/// </summary>
internal static class NvmeFileRun
{
    private const string Nqn = "nqn.2026-11.io.renesens:file0";
    private const long FileBytes = 1L << 30;
    private const int Depth = 32;

    public static async Task RunAsync(int seconds)
    {
        string repo = NvmeTcpRun.FindRepo();
        string sample = Path.Combine(repo, "samples", "ReNESENS.NvmeTarget", "bin", "Release", "net10.0", "ReNESENS.NvmeTarget.dll");
        string image = Path.Combine("/var/tmp", $"rn-bench-ns-{Environment.ProcessId}.img");
        string config = Path.Combine("/var/tmp", $"rn-bench-ns-{Environment.ProcessId}.json");
        Console.WriteLine($"# NVMe/TCP file namespace, 1 GiB on ext4 (/var/tmp), 4 KiB blocks, QD{Depth} in all, {seconds} s per case; anchor = same I/O on the file locally, {Depth} threads");
        Console.WriteLine("| mode | case | ours IOPS | ours MB/s | p50 us | p99 us | local IOPS | ratio |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        try
        {
            foreach ((string mode, int queues) in ((string, int)[])[("required", 1), ("off", 1), ("required", 4)])
            {
                await File.WriteAllTextAsync(config, $$"""
                    { "Target": { "port": 0, "maxIoQueues": {{queues}}, "subsystems": [ { "nqn": "{{Nqn}}", "namespaces": [
                      { "namespaceId": 1, "sizeBytes": {{FileBytes}}, "blockSize": 4096, "filePath": "{{image}}", "directIo": "{{mode}}" } ] } ] },
                      "Statistics": { "intervalSeconds": 0 } }
                    """);
                using Process target = NvmeTcpRun.StartAndWaitForLine("dotnet", [sample, "--config", config], "Listening on ", out string line);
                try
                {
                    IPEndPoint endPoint = IPEndPoint.Parse(line.Split(' ')[2]);
                    await using NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(endPoint, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn, IoQueueCount = queues, QueueDepth = Depth / queues });
                    (string Name, bool Write, int Size)[] cases =
                    [
                        ("4 KiB random write", true, 4096),
                        ("4 KiB random read", false, 4096),
                        ("128 KiB random write", true, 128 * 1024),
                        ("128 KiB random read", false, 128 * 1024),
                    ];
                    foreach (var c in cases)
                    {
                        await MeasureNvmeAsync(host, c.Write, c.Size, TimeSpan.FromSeconds(0.5));
                        (double iops, double p50, double p99) = await MeasureNvmeAsync(host, c.Write, c.Size, TimeSpan.FromSeconds(seconds));
                        double local = MeasureLocal(image, direct: mode == "required", c.Write, c.Size, TimeSpan.FromSeconds(seconds));
                        Console.WriteLine(FormattableString.Invariant(
                            $"| {(mode == "required" ? "O_DIRECT" : "page cache")}, {queues} queue(s) | {c.Name} | {iops:F0} | {iops * c.Size / 1e6:F1} | {p50:F1} | {p99:F1} | {local:F0} | {iops / local:F2}x |"));
                    }
                }
                finally
                {
                    NvmeTcpRun.Stop(target);
                }
            }
        }
        finally
        {
            File.Delete(image);
            File.Delete(config);
        }
    }

    private static async Task<(double Iops, double P50, double P99)> MeasureNvmeAsync(NvmeTcpInitiator host, bool write, int size, TimeSpan duration)
    {
        long slots = FileBytes / size;
        var latencies = new List<long>[Depth];
        long deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long started = Stopwatch.GetTimestamp();
        var workers = new Task[Depth];
        for (int w = 0; w < Depth; w++)
        {
            int id = w;
            latencies[id] = new List<long>(1 << 16);
            workers[w] = Task.Run(async () =>
            {
                var random = new Random(id);
                byte[] buffer = new byte[size];
                random.NextBytes(buffer);
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    ulong lba = (ulong)(random.NextInt64(slots) * (size / 4096));
                    long t0 = Stopwatch.GetTimestamp();
                    if (write)
                    {
                        await host.WriteAsync(1, lba, buffer, 4096);
                    }
                    else
                    {
                        await host.ReadAsync(1, lba, buffer, 4096);
                    }

                    latencies[id].Add(Stopwatch.GetTimestamp() - t0);
                }
            });
        }

        await Task.WhenAll(workers);
        double elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long[] all = [.. latencies.SelectMany(l => l)];
        Array.Sort(all);
        double us = 1e6 / Stopwatch.Frequency;
        return (all.Length / elapsed, all[all.Length / 2] * us, all[(int)(all.Length * 0.99)] * us);
    }

    /// <summary>The anchor: pread/pwrite on the file from <see cref="Depth"/> threads, page-aligned buffers from a DmaRegion.</summary>
    private static double MeasureLocal(string path, bool direct, bool write, int size, TimeSpan duration)
    {
        NativeError.Check(NativeFile.TryOpen(path, create: false, direct, dataSync: false, out SafeFileHandle? handle), "rn_file_open");
        using (handle)
        using (DmaRegion buffers = DmaRegion.Create((long)Depth * size, PageKind.Small, lockMemory: false))
        {
            long slots = FileBytes / size;
            long deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            long ops = 0;
            long started = Stopwatch.GetTimestamp();
            var threads = new Thread[Depth];
            for (int t = 0; t < Depth; t++)
            {
                int id = t;
                threads[t] = new Thread(() =>
                {
                    var random = new Random(1000 + id);
                    Span<byte> buffer = buffers.GetSpan((long)id * size, size);
                    long n = 0;
                    while (Stopwatch.GetTimestamp() < deadline)
                    {
                        long offset = random.NextInt64(slots) * size;
                        if (write)
                        {
                            RandomAccess.Write(handle!, buffer, offset);
                        }
                        else
                        {
                            RandomAccess.Read(handle!, buffer, offset);
                        }

                        n++;
                    }

                    Interlocked.Add(ref ops, n);
                });
                threads[t].Start();
            }

            foreach (Thread thread in threads)
            {
                thread.Join();
            }

            return ops / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
    }
}
