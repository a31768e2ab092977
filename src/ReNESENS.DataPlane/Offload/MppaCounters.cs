using System.Diagnostics.Metrics;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// Exact counts of one MPPA engine, summed over its queue pairs, also published on the offload meter
/// (<c>renesens.offload.device.*</c>, tagged with the engine name, which says "emulated" for the
/// emulated device). Every accepted operation ends in exactly one of DeviceCompleted, FailedOver
/// or Routed.
/// </summary>
internal sealed class MppaCounters : IDisposable
{
    private static readonly KeyValuePair<string, object?>[] ReasonTags =
    [
        new("renesens.offload.failover_reason", "device-error"),
        new("renesens.offload.failover_reason", "reset"),
        new("renesens.offload.failover_reason", "timeout"),
        new("renesens.offload.failover_reason", "queue-error"),
    ];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _failoverCounter;
    private readonly Counter<long> _routedCounter;
    private readonly Counter<long> _resetCounter;
    private readonly Counter<long> _deviceCounter;

    internal MppaCounters(IMeterFactory? factory, string engine)
    {
        var options = new MeterOptions(OffloadMetrics.MeterName) { Tags = [new("renesens.offload.engine", engine)] };
        _ownsMeter = factory is null;
        _meter = factory is null ? new Meter(options) : factory.Create(options);
        _deviceCounter = _meter.CreateCounter<long>("renesens.offload.device.completed", "{operation}", "Operations the device completed.");
        _failoverCounter = _meter.CreateCounter<long>("renesens.offload.device.failovers", "{operation}", "Operations handed to the device and run in software instead, by reason.");
        _routedCounter = _meter.CreateCounter<long>("renesens.offload.device.routed", "{operation}", "Operations the device could not take as given, run in software.");
        _resetCounter = _meter.CreateCounter<long>("renesens.offload.device.resets", "{reset}", "Device resets seen by a queue pair.");
    }

    private long _submitted;
    private long _deviceCompleted;
    private long _failedOver;
    private long _routed;
    private long _stale;
    private long _resets;

    /// <summary>Operations handed to the device.</summary>
    internal long Submitted => Volatile.Read(ref _submitted);

    /// <summary>Operations whose device completion was returned to the caller.</summary>
    internal long DeviceCompleted => Volatile.Read(ref _deviceCompleted);

    /// <summary>Operations handed to the device and then run in software.</summary>
    internal long FailedOver => Volatile.Read(ref _failedOver);

    /// <summary>Operations the device cannot take as given (a layout it has no descriptor for, an invalid op, GCM on a device without it), run in software.</summary>
    internal long Routed => Volatile.Read(ref _routed);

    /// <summary>Device completions that named no operation in flight (dropped).</summary>
    internal long Stale => Volatile.Read(ref _stale);

    /// <summary>Device resets seen.</summary>
    internal long Resets => Volatile.Read(ref _resets);

    internal void AddSubmitted(int n) => Interlocked.Add(ref _submitted, n);

    internal void AddDeviceCompleted(int n)
    {
        Interlocked.Add(ref _deviceCompleted, n);
        _deviceCounter.Add(n);
    }

    internal void AddFailedOver(int n, MppaFailoverReason reason)
    {
        Interlocked.Add(ref _failedOver, n);
        _failoverCounter.Add(n, ReasonTags[(int)reason]);
    }

    internal void AddRouted()
    {
        Interlocked.Increment(ref _routed);
        _routedCounter.Add(1);
    }

    internal void AddStale() => Interlocked.Increment(ref _stale);

    internal void AddReset()
    {
        Interlocked.Increment(ref _resets);
        _resetCounter.Add(1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
