using System.Diagnostics.Metrics;
using ReNESENS.DataPlane.Switching;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>
/// <see cref="System.Diagnostics.Metrics"/> instruments of a switch, in the meter <see cref="MeterName"/>:
/// <c>renesens.switch.port.packets</c> and <c>renesens.switch.port.bytes</c> (tags <c>port</c>, <c>direction</c> = rx/tx)
/// and <c>renesens.switch.port.drops</c> (tags <c>port</c>, <c>reason</c>). Observable: read from the port counters when
/// a listener collects, nothing on the forwarding path.
/// </summary>
public sealed class SwitchMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ReNESENS.DataPlane.Switching";

    private static readonly SwitchDropReason[] Reasons = Enum.GetValues<SwitchDropReason>();
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <summary>Creates the instruments for <paramref name="virtualSwitch"/>.</summary>
    /// <param name="virtualSwitch">The switch whose ports are measured.</param>
    /// <param name="meterFactory">Creates the meter; null for a meter this object owns.</param>
    public SwitchMetrics(VirtualSwitch virtualSwitch, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(virtualSwitch);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("renesens.switch.port.packets", () => Directional(virtualSwitch, bytes: false), "{packet}", "Packets received and sent per port");
        _meter.CreateObservableCounter("renesens.switch.port.bytes", () => Directional(virtualSwitch, bytes: true), "By", "Bytes received and sent per port");
        _meter.CreateObservableCounter("renesens.switch.port.drops", () => Drops(virtualSwitch), "{packet}", "Packets dropped per port and reason");
    }

    /// <summary>Disposes the meter when this object created it.</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static List<Measurement<long>> Directional(VirtualSwitch s, bool bytes)
    {
        var list = new List<Measurement<long>>(s.Ports.Count * 2);
        foreach (SwitchPort port in s.Ports)
        {
            SwitchPortStatistics st = port.GetStatistics();
            list.Add(new Measurement<long>(bytes ? st.ReceivedBytes : st.ReceivedPackets, new("port", port.Name), new("direction", "rx")));
            list.Add(new Measurement<long>(bytes ? st.TransmittedBytes : st.TransmittedPackets, new("port", port.Name), new("direction", "tx")));
        }

        return list;
    }

    private static List<Measurement<long>> Drops(VirtualSwitch s)
    {
        var list = new List<Measurement<long>>(s.Ports.Count * Reasons.Length);
        foreach (SwitchPort port in s.Ports)
        {
            SwitchPortStatistics st = port.GetStatistics();
            foreach (SwitchDropReason r in Reasons)
            {
                list.Add(new Measurement<long>(st.GetDrops(r), new("port", port.Name), new("reason", r.ToString())));
            }
        }

        return list;
    }
}
