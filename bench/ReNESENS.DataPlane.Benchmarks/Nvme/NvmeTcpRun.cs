using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Benchmarks.Nvme;

/// <summary>
/// <c>-- nvme [seconds] [rounds] [case filter]</c>: our initiator (this process) against the sample
/// target (another process, RAM namespace, loopback): 4 KiB random read/write at QD1 and QD32 with
/// p50/p99, and 128 KiB at QD32 in MB/s. Beside each, in paired rounds that alternate which side
/// runs first, the transport ceiling: the same messages (sizes and round trips of the PDUs of each
/// I/O) over plain TCP with a second process (this program in <c>tcp-ceiling-server</c> mode),
/// same number in flight, both sides batching their reads and gathering their writes. Allocation
/// per I/O is measured process-wide (GC.GetTotalAllocatedBytes) over the steady state only: from the
/// moment every worker has done its first I/Os (its setup is behind it) to the deadline;
/// CPU per I/O is both processes' CPU time over the phase, in cycles at the nominal clock.
/// </summary>
internal static class NvmeTcpRun
{
    private const string Nqn = "nqn.2026-11.io.renesens:ram0";
    private const long NamespaceBytes = 1L << 30;

    public static async Task RunAsync(int seconds, int rounds, string? filter)
    {
        string repo = FindRepo();
        string sample = Path.Combine(repo, "samples", "ReNESENS.NvmeTarget", "bin", "Release", "net10.0", "ReNESENS.NvmeTarget.dll");
        using Process target = StartAndWaitForLine("dotnet", [sample, "--port", "0", "--stats-interval", "0"], "Listening on ", out string line);
        IPEndPoint endPoint = IPEndPoint.Parse(line.Split(' ')[2]);
        using Process ceiling = StartAndWaitForLine("dotnet", [typeof(NvmeTcpRun).Assembly.Location, "tcp-ceiling-server"], "port ", out string ceilingLine);
        int ceilingPort = int.Parse(ceilingLine.Split(' ')[1], CultureInfo.InvariantCulture);
        double hz = CpuHz();
        try
        {
            await using NvmeTcpInitiator host = await NvmeTcpInitiator.ConnectAsync(endPoint, new NvmeTcpInitiatorOptions { SubsystemNqn = Nqn, IoQueueCount = 1, QueueDepth = 32 });
            int inCapsule = host.Controller!.InCapsuleDataSize;
            Console.WriteLine($"# NVMe/TCP loopback, target = sample process, RAM namespace 1 GiB, 1 I/O queue, {seconds} s per case and side, {rounds} paired rounds, in-capsule data {inCapsule} B, CPU {hz / 1e9:F2} GHz");
            Console.WriteLine($"# load average at start: {LoadAverage()}");
            Console.WriteLine("| case | round | ours IOPS | ours MB/s | p50 us | p99 us | B alloc/IO | cycles/IO | TCP IOPS | TCP p50 us | TCP p99 us | TCP cycles/IO | ratio |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            (string Name, bool Write, int Size, int Depth)[] cases =
            [
                ("4 KiB random read QD1", false, 4096, 1),
                ("4 KiB random write QD1", true, 4096, 1),
                ("4 KiB random read QD32", false, 4096, 32),
                ("4 KiB random write QD32", true, 4096, 32),
                ("128 KiB read QD32", false, 128 * 1024, 32),
                ("128 KiB write QD32", true, 128 * 1024, 32),
            ];
            var summary = new List<string>();
            foreach (var c in cases)
            {
                if (filter is not null && !c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var exchange = new Exchange(c.Write, c.Size, c.Write && c.Size > inCapsule);
                await MeasureNvmeAsync(host, c.Write, c.Size, c.Depth, TimeSpan.FromSeconds(0.5), target, hz); // warm-up
                await Task.Run(() => MeasureCeiling(ceilingPort, exchange, c.Depth, TimeSpan.FromSeconds(0.5), ceiling, hz));
                var ratios = new List<double>();
                var ours = new List<Result>();
                var plain = new List<Result>();
                for (int round = 0; round < rounds; round++)
                {
                    // Alternate which side runs first, so a load change hits both sides alike. The ceiling
                    // runs on a pool thread: the code after an I/O await continues on the initiator's
                    // receive thread, which must not be kept busy by the other side's measurement.
                    Result a, b;
                    if (round % 2 == 0)
                    {
                        a = await MeasureNvmeAsync(host, c.Write, c.Size, c.Depth, TimeSpan.FromSeconds(seconds), target, hz);
                        b = await Task.Run(() => MeasureCeiling(ceilingPort, exchange, c.Depth, TimeSpan.FromSeconds(seconds), ceiling, hz));
                    }
                    else
                    {
                        b = await Task.Run(() => MeasureCeiling(ceilingPort, exchange, c.Depth, TimeSpan.FromSeconds(seconds), ceiling, hz));
                        a = await MeasureNvmeAsync(host, c.Write, c.Size, c.Depth, TimeSpan.FromSeconds(seconds), target, hz);
                    }

                    ours.Add(a);
                    plain.Add(b);
                    ratios.Add(a.Iops / b.Iops);
                    Console.WriteLine(FormattableString.Invariant(
                        $"| {c.Name} | {round} | {a.Iops:F0} | {a.Iops * c.Size / 1e6:F1} | {a.P50:F1} | {a.P99:F1} | {a.BytesPerIo:F1} | {a.CyclesPerIo:F0} | {b.Iops:F0} | {b.P50:F1} | {b.P99:F1} | {b.CyclesPerIo:F0} | {a.Iops / b.Iops:F2}x |"));
                }

                summary.Add(FormattableString.Invariant(
                    $"| {c.Name} | {Median(ours, r => r.Iops):F0} | {Median(ours, r => r.Iops) * c.Size / 1e6:F1} | {Median(ours, r => r.P50):F1} | {Median(ours, r => r.P99):F1} | {Median(ours, r => r.BytesPerIo):F1} | {Median(ours, r => r.CyclesPerIo):F0} | {Median(plain, r => r.Iops):F0} | {Median(plain, r => r.CyclesPerIo):F0} | {Median(ratios, r => r):F2}x ({string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}) |"));
            }

            Console.WriteLine();
            Console.WriteLine("Medians over the rounds (ratio: median of the per-round IOPS ratios, then each round's):");
            Console.WriteLine();
            Console.WriteLine("| case | ours IOPS | ours MB/s | p50 us | p99 us | B alloc/IO | cycles/IO | TCP IOPS | TCP cycles/IO | ratio |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (string row in summary)
            {
                Console.WriteLine(row);
            }

            Console.WriteLine($"# load average at end: {LoadAverage()}");
        }
        finally
        {
            Stop(target);
            Stop(ceiling);
        }
    }

    /// <summary>IOPS, latency percentiles (us), bytes allocated per I/O, and CPU cycles per I/O of both processes.</summary>
    private readonly record struct Result(double Iops, double P50, double P99, double BytesPerIo, double CyclesPerIo);

    /// <summary>
    /// The NVMe/TCP PDUs of one I/O as plain messages of the same sizes and round trips: a read is a
    /// 72-byte capsule out and a 24-byte C2HData header plus the data back (SUCCESS flag, no
    /// response capsule); a write within the in-capsule size is 72 bytes plus the data out and a
    /// 24-byte response back; a larger write is a 72-byte capsule, a 24-byte R2T back, a 24-byte
    /// H2CData header plus the data out, and a 24-byte response back.
    /// </summary>
    private readonly record struct Exchange(bool Write, int Size, bool R2T);

    /// <summary>Message kinds of the ceiling exchange (byte 0 of every message; bytes 4..7 the whole message length, bytes 8..11 the size a read asks for).</summary>
    private const byte ReadRequest = 1, WriteWithData = 2, WriteAwaitingR2T = 3, DataOut = 4, ReadData = 5, Done = 6, ReadyToTransfer = 7;

    private static async Task<Result> MeasureNvmeAsync(NvmeTcpInitiator host, bool write, int size, int depth, TimeSpan duration, Process target, double hz)
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

        var workers = new Task[depth];

        // Completed I/Os of all workers; the steady-state window opens once every worker has done its first.
        long completed = 0;
        int warmedUp = 0;
        long windowStartIos = 0;
        long windowStartBytes = 0;
        long windowEndIos = 0;
        long windowEndBytes = 0;
        int windowClosed = 0;
        GC.Collect();
        (TimeSpan self0, TimeSpan other0) = CpuTimes(target);
        long started = Stopwatch.GetTimestamp();
        long deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
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

                    long t1 = Stopwatch.GetTimestamp();
                    samples[n++] = t1 - t0;
                    long done = Interlocked.Increment(ref completed);
                    if (n == 2 && Interlocked.Increment(ref warmedUp) == depth)
                    {
                        // Every worker's setup (closure, Random, state machine) is behind us: the window opens.
                        Volatile.Write(ref windowStartBytes, GC.GetTotalAllocatedBytes(precise: true));
                        Volatile.Write(ref windowStartIos, done);
                    }

                    if (t1 >= deadline && Interlocked.Exchange(ref windowClosed, 1) == 0)
                    {
                        // The first I/O to end past the deadline closes it, before any worker finishes and returns.
                        windowEndBytes = GC.GetTotalAllocatedBytes(precise: true);
                        windowEndIos = done;
                    }
                }

                counts[id] = n;
            });
        }

        await Task.WhenAll(workers);
        double elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        (TimeSpan self1, TimeSpan other1) = CpuTimes(target);
        long total = counts.Sum();

        // Allocation over the steady state only: from the moment every worker had done two I/Os to the deadline.
        long windowIos = windowEndIos - windowStartIos;
        double bytesPerIo = Volatile.Read(ref warmedUp) >= depth && windowClosed != 0 && windowIos > 0
            ? (double)(windowEndBytes - windowStartBytes) / windowIos
            : double.NaN;
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < depth; i++)
        {
            Array.Copy(latencies[i], 0, all, at, counts[i]);
            at += counts[i];
        }

        double cycles = ((self1 - self0) + (other1 - other0)).TotalSeconds * hz / total;

        if (Environment.GetEnvironmentVariable("NVME_BENCH_TAIL") is not null)
        {
            long[] sorted = all.Order().ToArray();
            double us = 1e6 / Stopwatch.Frequency;
            Console.WriteLine(FormattableString.Invariant($"#   tail: p99.9 {sorted[(int)(total * 0.999)] * us:F0} us, max {sorted[^1] * us:F0} us, mean {elapsed * 1e6 / total * depth:F0} us"));
        }

        return Summarize(all, elapsed, bytesPerIo, cycles);
    }

    /// <summary>
    /// The best plain TCP does for the same exchange: one thread per side, blocking sockets with
    /// NoDelay, the same number of operations in flight; each side reads all that has arrived,
    /// answers every complete message, and sends all the answers with one gathering write, data
    /// straight from its buffer (no copy in either process).
    /// </summary>
    private static Result MeasureCeiling(int port, Exchange exchange, int depth, TimeSpan duration, Process server, double hz)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, port);
        byte[] data = new byte[exchange.Size];
        Random.Shared.NextBytes(data);
        byte[] headers = new byte[64 * 1024];
        var send = new List<ArraySegment<byte>>(4 * depth);
        var receive = new MessageReader(exchange.Size + 4096);
        const int MaxSamples = 1 << 20;
        long[] samples = new long[MaxSamples];
        long[] startedAt = new long[depth];
        int head = 0;
        int tail = 0;
        int count = 0;
        int used = 0;

        void Request()
        {
            startedAt[tail++ % depth] = Stopwatch.GetTimestamp();
            byte kind = !exchange.Write ? ReadRequest : exchange.R2T ? WriteAwaitingR2T : WriteWithData;
            used = AddHeader(send, headers, used, kind, 72, exchange.Size, kind == WriteWithData ? data : null);
        }

        GC.Collect();
        (TimeSpan self0, TimeSpan other0) = CpuTimes(server);
        long started = Stopwatch.GetTimestamp();
        long deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < depth; i++)
        {
            Request();
        }

        SendAll(socket, send);
        used = 0;
        while (head < tail)
        {
            receive.Fill(socket);
            while (receive.TryNext(out byte kind, out _))
            {
                if (kind == ReadyToTransfer)
                {
                    used = AddHeader(send, headers, used, DataOut, 24, exchange.Size, data);
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                long latency = now - startedAt[head++ % depth];
                if (count < samples.Length)
                {
                    samples[count++] = latency;
                }

                if (now < deadline)
                {
                    Request();
                }
            }

            if (send.Count > 0)
            {
                SendAll(socket, send);
                used = 0;
            }
        }

        double elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        (TimeSpan self1, TimeSpan other1) = CpuTimes(server);
        double cycles = ((self1 - self0) + (other1 - other0)).TotalSeconds * hz / head;
        return Summarize(samples.AsSpan(0, count).ToArray(), elapsed, 0, cycles) with { Iops = head / elapsed };
    }

    /// <summary>
    /// The ceiling's far end: per connection (its own thread), reads all that has arrived, answers
    /// every complete message (a read with its data, a large write's capsule with an R2T, the rest
    /// with a 24-byte response), and sends the answers with one gathering write.
    /// </summary>
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
                    byte[] data = new byte[1 << 20];
                    byte[] headers = new byte[64 * 1024];
                    var send = new List<ArraySegment<byte>>(256);
                    var receive = new MessageReader(2 << 20);
                    try
                    {
                        while (receive.Fill(client))
                        {
                            int used = 0;
                            while (receive.TryNext(out byte kind, out int asked))
                            {
                                used = kind switch
                                {
                                    ReadRequest => AddHeader(send, headers, used, ReadData, 24, asked, data),
                                    WriteAwaitingR2T => AddHeader(send, headers, used, ReadyToTransfer, 24, 0, null),
                                    _ => AddHeader(send, headers, used, Done, 24, 0, null),
                                };
                            }

                            if (send.Count > 0)
                            {
                                SendAll(client, send);
                            }
                        }
                    }
                    catch (SocketException)
                    {
                    }
                }
            }) { IsBackground = true }.Start();
        }
    }

    /// <summary>Appends a message: a header of <paramref name="headerLength"/> bytes and, when given, <paramref name="size"/> bytes of <paramref name="data"/> (gathered, not copied).</summary>
    private static int AddHeader(List<ArraySegment<byte>> send, byte[] headers, int used, byte kind, int headerLength, int size, byte[]? data)
    {
        Span<byte> header = headers.AsSpan(used, headerLength);
        header.Clear();
        header[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], headerLength + (data is null ? 0 : size));
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], size);
        send.Add(new ArraySegment<byte>(headers, used, headerLength));
        if (data is not null)
        {
            send.Add(new ArraySegment<byte>(data, 0, size));
        }

        return used + headerLength;
    }

    private static void SendAll(Socket socket, List<ArraySegment<byte>> send)
    {
        int sent = socket.Send(send);
        int index = 0;
        while (index < send.Count)
        {
            ArraySegment<byte> segment = send[index];
            if (sent >= segment.Count)
            {
                sent -= segment.Count;
                index++;
                continue;
            }

            // A partial write (rare on a blocking socket): the rest goes out piece by piece.
            socket.Send(segment.AsSpan(sent));
            sent = 0;
            index++;
        }

        send.Clear();
    }

    /// <summary>Receive side of the ceiling: one big buffer, read as much as has arrived, then hand out complete messages.</summary>
    private sealed class MessageReader(int largestMessage)
    {
        private readonly byte[] _buffer = new byte[Math.Max(4 << 20, 4 * largestMessage)];
        private readonly int _largest = largestMessage;
        private int _start;
        private int _end;

        /// <summary>Reads what has arrived (blocking until something has); false at end of stream.</summary>
        public bool Fill(Socket socket)
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_buffer.Length - _end < _largest)
            {
                // Room for at least one more whole message: move the partial one to the front.
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            int n = socket.Receive(_buffer.AsSpan(_end));
            _end += n;
            return n > 0;
        }

        public bool TryNext(out byte kind, out int asked)
        {
            kind = 0;
            asked = 0;
            if (_end - _start < 12)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start + 4));
            if (_end - _start < length)
            {
                return false;
            }

            kind = _buffer[_start];
            asked = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start + 8));
            _start += length;
            return true;
        }
    }

    private static Result Summarize(long[] latencies, double elapsed, double bytesPerIo, double cyclesPerIo)
    {
        Array.Sort(latencies);
        double us = 1e6 / Stopwatch.Frequency;
        int n = latencies.Length;
        return new Result(n / elapsed, latencies[n / 2] * us, latencies[(int)(n * 0.99)] * us, bytesPerIo, cyclesPerIo);
    }

    private static double Median<T>(List<T> items, Func<T, double> value)
    {
        double[] sorted = items.Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>CPU time of this process and of <paramref name="other"/> (user + system, all threads).</summary>
    private static (TimeSpan Self, TimeSpan Other) CpuTimes(Process other)
    {
        other.Refresh();
        using Process self = Process.GetCurrentProcess();
        return (self.TotalProcessorTime, other.TotalProcessorTime);
    }

    private static double CpuHz()
    {
        string line = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
        return double.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture) * 1e6;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

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
