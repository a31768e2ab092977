using System.Diagnostics.Metrics;

namespace ReNESENS.DataPlane.Offload;

/// <summary>
/// The engine instruments on the meter <see cref="MeterName"/>: operations, bytes and errors, tagged
/// with the operation kind (and the status, for errors). Tags are built once, so recording does not allocate.
/// </summary>
internal sealed class OffloadMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    internal const string MeterName = "ReNESENS.DataPlane.Offload";

    private static readonly KeyValuePair<string, object?>[] KindTags = BuildTags<OffloadOpKind>("renesens.offload.op");
    private static readonly KeyValuePair<string, object?>[] StatusTags = BuildTags<OffloadStatus>("renesens.offload.status");

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _operations;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _errors;

    internal OffloadMetrics(IMeterFactory? factory, string engine)
    {
        var options = new MeterOptions(MeterName) { Tags = [new("renesens.offload.engine", engine)] };
        _ownsMeter = factory is null;
        _meter = factory is null ? new Meter(options) : factory.Create(options);
        _operations = _meter.CreateCounter<long>("renesens.offload.operations", "{operation}", "Operations completed, by kind.");
        _bytes = _meter.CreateCounter<long>("renesens.offload.bytes", "By", "Source bytes of completed operations, by kind.");
        _errors = _meter.CreateCounter<long>("renesens.offload.errors", "{operation}", "Operations that completed with an error status, by kind and status.");
    }

    /// <summary>Counts one completed operation.</summary>
    internal void Record(OffloadOpKind kind, OffloadStatus status, int sourceBytes)
    {
        ref readonly KeyValuePair<string, object?> kindTag = ref KindTags[(uint)kind < (uint)KindTags.Length ? (int)kind : 0];
        _operations.Add(1, kindTag);
        _bytes.Add(sourceBytes, kindTag);
        if (status != OffloadStatus.Success)
        {
            _errors.Add(1, kindTag, StatusTags[(uint)status < (uint)StatusTags.Length ? (int)status : 0]);
        }
    }

    /// <summary>Counts <paramref name="count"/> operations of one kind that completed successfully (a device engine adds a poll's worth at once).</summary>
    internal void RecordSuccesses(OffloadOpKind kind, long count, long sourceBytes)
    {
        ref readonly KeyValuePair<string, object?> kindTag = ref KindTags[(uint)kind < (uint)KindTags.Length ? (int)kind : 0];
        _operations.Add(count, kindTag);
        _bytes.Add(sourceBytes, kindTag);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static KeyValuePair<string, object?>[] BuildTags<T>(string key)
        where T : struct, Enum
    {
        T[] values = Enum.GetValues<T>();
        var tags = new KeyValuePair<string, object?>[values.Length];
        foreach (T value in values)
        {
            int i = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            tags[i] = new(key, value.ToString());
        }

        return tags;
    }
}
