using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Benchmarks.Nvme;

/// <summary>
/// <c>-- nvme</c>: our initiator (this process) against the sample target (another process, RAM
/// namespace, loopback): 4 KiB random read/write at QD1 and QD32 with p50/p99, and 128 KiB
/// sequential at QD32 in MB/s. Beside each, in the same run, the transport ceiling: the same
/// bytes per operation exchanged over plain TCP sockets with a second process (this program in
/// <c>tcp-ceiling-server</c> mode), same queue depth. Allocation per I/O is measured process-wide
/// (GC.GetTotalAllocatedBytes) over the steady-state phase.
/// </summary>
internal static class NvmeTcpRun
{
    private const string Nqn = "nqn.2026-11.io.renesens:ram0";
    private const long NamespaceBytes = 1L << 30;

    public static async Task RunAsync(int seconds)
    {
        string repo = FindRepo();
        string sample = Path.Combine(repo, "samples", "ReNESENS.NvmeTarget", "bin", "Release", "net10.0", "ReNESENS.NvmeTarget.dll");
        using Process target = StartAndWaitForLine("dotnet", [sample, "--port", "0", "--stats-interval", "0"], "Listening on ", out string line);
        IPEndPoint endPoint = IPEndPoint.Parse(line.Split(' ')[2]);
        using Process ceiling = StartAndWaitForLine("dotnet", [typeof(NvmeTcpRun).Assembly.Location, "tcp-ceiling-server"], "port ", out string ceilingLine);
        int ceilingPort = int.Parse(ceilingLine.Split(' ')[1], CultureInfo.InvariantCulture);
        try
        {
            await using NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(endPoint, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn, IoQueueCount = 1, QueueDepth = 32 });
            Console.WriteLine($"# NVMe/TCP loopback, target = sample process, RAM namespace 1 GiB, 1 I/O queue, {seconds} s per case");
            Console.WriteLine("| case | ours IOPS | ours MB/s | p50 us | p99 us | B alloc/IO | TCP ceiling IOPS | ratio |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            (string Name, bool Write, int Size, int Depth)[] cases =
            [
                ("4 KiB random read QD1", false, 4096, 1),
                ("4 KiB random write QD1", true, 4096, 1),
                ("4 KiB random read QD32", false, 4096, 32),
                ("4 KiB random write QD32", true, 4096, 32),
                ("128 KiB read QD32", false, 128 * 1024, 32),
                ("128 KiB write QD32", true, 128 * 1024, 32),
            ];
            foreach (var c in cases)
            {
                await MeasureNvmeAsync(host, c.Write, c.Size, c.Depth, TimeSpan.FromSeconds(0.5)); // warm-up
                Result ours = await MeasureNvmeAsync(host, c.Write, c.Size, c.Depth, TimeSpan.FromSeconds(seconds));

                // The same bytes per operation: a 72-byte capsule (plus the data for a write) out,
                // a 24-byte PDU header (plus the data for a read) back.
                int request = 72 + (c.Write ? c.Size : 0);
                int response = 24 + (c.Write ? 0 : c.Size);
                double ceilingIops = MeasureCeiling(ceilingPort, request, response, c.Depth, TimeSpan.FromSeconds(seconds));
                Console.WriteLine(FormattableString.Invariant(
                    $"| {c.Name} | {ours.Iops:F0} | {ours.Iops * c.Size / 1e6:F1} | {ours.P50:F1} | {ours.P99:F1} | {ours.BytesPerIo:F1} | {ceilingIops:F0} | {ours.Iops / ceilingIops:F2}x |"));
            }
        }
        finally
        {
            Stop(target);
            Stop(ceiling);
        }
    }

    private readonly record struct Result(double Iops, double P50, double P99, double BytesPerIo);

    private static async Task<Result> MeasureNvmeAsync(NvmeTcpInitiator host, bool write, int size, int depth, TimeSpan duration)
    {
        int blocks = size / 512;
        long slots = NamespaceBytes / size;
        const int MaxSamples = 1 << 20;
        var latencies = new long[depth][];
        var counts = new int[depth];
        var buffers = new byte[depth][];
        for (int i = 0; i < depth; i++)
        {
            latencies[i] = new long[MaxSamples / depth];
            buffers[i] = new byte[size];
            Random.Shared.NextBytes(buffers[i]);
        }

        long deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        GC.Collect();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long started = Stopwatch.GetTimestamp();
        var workers = new Task[depth];
        for (int w = 0; w < depth; w++)
        {
            int id = w;
            workers[w] = Task.Run(async () =>
            {
                var random = new Random(id);
                long[] samples = latencies[id];
                Memory<byte> buffer = buffers[id];
                int n = 0;
                while (n < samples.Length && Stopwatch.GetTimestamp() < deadline)
                {
                    ulong lba = (ulong)(random.NextInt64(slots) * blocks);
                    long t0 = Stopwatch.GetTimestamp();
                    if (write)
                    {
                        await host.WriteAsync(1, lba, buffer);
                    }
                    else
                    {
                        await host.ReadAsync(1, lba, buffer);
                    }

                    samples[n++] = Stopwatch.GetTimestamp() - t0;
                }

                counts[id] = n;
            });
        }

        await Task.WhenAll(workers);
        double elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        long total = counts.Sum();
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < depth; i++)
        {
            Array.Copy(latencies[i], 0, all, at, counts[i]);
            at += counts[i];
        }

        Array.Sort(all);
        double us = 1e6 / Stopwatch.Frequency;

        // Per-worker setup (closures, tasks, Random) is counted in: the figure is an upper bound.
        return new Result(total / elapsed, all[total / 2] * us, all[(int)(total * 0.99)] * us, (double)bytes / total);
    }

    /// <summary>Plain TCP with the same bytes per operation and the same number in flight.</summary>
    private static double MeasureCeiling(int port, int request, int response, int depth, TimeSpan duration)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, port);
        byte[] header = new byte[8];
        BitConverter.TryWriteBytes(header, request);
        BitConverter.TryWriteBytes(header.AsSpan(4), response);
        socket.Send(header);
        byte[] send = new byte[request];
        byte[] receive = new byte[response];
        for (int i = 0; i < depth; i++)
        {
            socket.Send(send);
        }

        long ops = 0;
        long deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            ReceiveExactly(socket, receive);
            ops++;
            socket.Send(send);
        }

        double elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        for (int i = 0; i < depth; i++)
        {
            ReceiveExactly(socket, receive);
        }

        return ops / elapsed;
    }

    /// <summary>The ceiling's far end: per connection, reads an 8-byte (request, response) size pair, then answers each request.</summary>
    public static void Serve()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        Console.WriteLine($"port {((IPEndPoint)listener.LocalEndPoint!).Port}");
        while (true)
        {
            Socket client = listener.Accept();
            client.NoDelay = true;
            new Thread(() =>
            {
                using (client)
                {
                    byte[] header = new byte[8];
                    ReceiveExactly(client, header);
                    byte[] request = new byte[BitConverter.ToInt32(header, 0)];
                    byte[] response = new byte[BitConverter.ToInt32(header, 4)];
                    try
                    {
                        while (true)
                        {
                            ReceiveExactly(client, request);
                            client.Send(response);
                        }
                    }
                    catch (EndOfStreamException)
                    {
                    }
                    catch (SocketException)
                    {
                    }
                }
            }) { IsBackground = true }.Start();
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            buffer = buffer[n..];
        }
    }

    internal static Process StartAndWaitForLine(string file, string[] args, string prefix, out string line)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true };
        Process process = Process.Start(info)!;
        while (true)
        {
            string? read = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"{file} {string.Join(' ', args)} ended before printing '{prefix}'");
            if (read.StartsWith(prefix, StringComparison.Ordinal))
            {
                line = read;
                _ = Task.Run(() => process.StandardOutput.ReadToEnd());
                return process;
            }
        }
    }

    internal static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    internal static string FindRepo()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ReNESENS.DataPlane.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("Repository root not found.");
    }
}
