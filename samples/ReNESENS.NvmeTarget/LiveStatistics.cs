using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.NvmeTarget;

/// <summary>Listens to the target's meter and prints IOPS, MB/s and service-time percentiles once per interval.</summary>
internal sealed class LiveStatistics(IOptions<StatisticsOptions> options) : BackgroundService
{
    private const int SampleCapacity = 65536;

    private readonly double[] _samples = new double[SampleCapacity];
    private long _reads;
    private long _writes;
    private long _readBytes;
    private long _writeBytes;
    private int _sampleCount;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        double seconds = options.Value.IntervalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == NvmeTcpTarget.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            switch (instrument.Name)
            {
                case "nvme.target.reads": Interlocked.Add(ref _reads, value); break;
                case "nvme.target.writes": Interlocked.Add(ref _writes, value); break;
                case "nvme.target.read.bytes": Interlocked.Add(ref _readBytes, value); break;
                case "nvme.target.write.bytes": Interlocked.Add(ref _writeBytes, value); break;
            }
        });
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_samples)
            {
                // Reservoir of the interval's latest samples (enough for percentiles at these rates).
                _samples[_sampleCount++ % SampleCapacity] = value;
            }
        });
        listener.Start();
        TimeSpan period = TimeSpan.FromSeconds(seconds);
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Console.WriteLine(Snapshot(period));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private string Snapshot(TimeSpan interval)
    {
        long reads = Interlocked.Exchange(ref _reads, 0);
        long writes = Interlocked.Exchange(ref _writes, 0);
        long readBytes = Interlocked.Exchange(ref _readBytes, 0);
        long writeBytes = Interlocked.Exchange(ref _writeBytes, 0);
        double[] sorted;
        lock (_samples)
        {
            sorted = _samples.AsSpan(0, Math.Min(_sampleCount, SampleCapacity)).ToArray();
            _sampleCount = 0;
        }

        Array.Sort(sorted);
        double seconds = interval.TotalSeconds;
        return FormattableString.Invariant(
            $"read {reads / seconds,9:F0} IOPS {readBytes / seconds / 1e6,8:F1} MB/s | write {writes / seconds,9:F0} IOPS {writeBytes / seconds / 1e6,8:F1} MB/s | service p50 {Percentile(sorted, 0.50),7:F1} us p99 {Percentile(sorted, 0.99),7:F1} us p99.9 {Percentile(sorted, 0.999),7:F1} us");
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
