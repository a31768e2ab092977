using System.Diagnostics.Metrics;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>The NVMe/TCP instruments, on the meter <c>ReNESENS.DataPlane.Nvme</c>. Adds carry no tags (no allocation per I/O).</summary>
internal static class NvmeMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "ReNESENS.DataPlane.Nvme";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>TCP connections accepted by a target.</summary>
    public static readonly Counter<long> Connections = Meter.CreateCounter<long>("nvme.target.connections", "{connection}");

    /// <summary>Command capsules received by a target.</summary>
    public static readonly Counter<long> Commands = Meter.CreateCounter<long>("nvme.target.commands", "{command}");

    /// <summary>Read commands completed by a target.</summary>
    public static readonly Counter<long> ReadCommands = Meter.CreateCounter<long>("nvme.target.reads", "{command}");

    /// <summary>Write commands completed by a target.</summary>
    public static readonly Counter<long> WriteCommands = Meter.CreateCounter<long>("nvme.target.writes", "{command}");

    /// <summary>Bytes sent to hosts by Read.</summary>
    public static readonly Counter<long> BytesRead = Meter.CreateCounter<long>("nvme.target.read.bytes", "By");

    /// <summary>Bytes received from hosts by Write.</summary>
    public static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>("nvme.target.write.bytes", "By");

    /// <summary>Payload bytes of Read and Write moved between the socket and a namespace in place (no copy in the target).</summary>
    public static readonly Counter<long> BytesInPlace = Meter.CreateCounter<long>("nvme.target.in_place.bytes", "By");

    /// <summary>Service time of Read and Write in the target, from the capsule to the last byte handed to the socket or queued to be sent in place (or the last data received), in microseconds.</summary>
    public static readonly Histogram<double> IoDuration = Meter.CreateHistogram<double>("nvme.target.io.duration", "us");

    /// <summary>Commands completed with an error status.</summary>
    public static readonly Counter<long> CommandErrors = Meter.CreateCounter<long>("nvme.target.command.errors", "{command}");

    /// <summary>Connections ended with a C2HTermReq (a fatal transport error).</summary>
    public static readonly Counter<long> FatalErrors = Meter.CreateCounter<long>("nvme.target.fatal_errors", "{connection}");

    /// <summary>Controllers ended because their keep-alive timer ran out.</summary>
    public static readonly Counter<long> KeepAliveExpirations = Meter.CreateCounter<long>("nvme.target.keep_alive_expirations", "{controller}");

    /// <summary>Commands refused because every transfer slot of the queue was in use.</summary>
    public static readonly Counter<long> SlotsExhausted = Meter.CreateCounter<long>("nvme.target.slots_exhausted", "{command}");

    /// <summary>File or block-device I/O that failed (completed with Unrecovered Read Error or Write Fault).</summary>
    public static readonly Counter<long> MediaErrors = Meter.CreateCounter<long>("nvme.target.media_errors", "{command}");

    /// <summary>O_DIRECT commands that waited for a staging slot (every slot in use).</summary>
    public static readonly Counter<long> StagingWaits = Meter.CreateCounter<long>("nvme.target.direct_io.staging_waits", "{command}");

    /// <summary>Asynchronous event notices posted to hosts (namespace attribute and discovery log changes).</summary>
    public static readonly Counter<long> AsyncEvents = Meter.CreateCounter<long>("nvme.target.async_events", "{event}");
}
