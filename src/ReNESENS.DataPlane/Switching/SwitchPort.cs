using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Switching;

/// <summary>
/// A port of a <see cref="VirtualSwitch"/>: one <see cref="IPacketPort"/> per forwarding thread (queue), its VLAN
/// settings and its counters. Created by <c>VirtualSwitch.AddPort</c>.
/// </summary>
public sealed class SwitchPort
{
    private readonly PortCounters[] _counters;
    private readonly bool[] _allowed = new bool[4096];

    internal SwitchPort(int index, string name, IReadOnlyList<IPacketPort> queues, SwitchPortOptions options)
    {
        Index = index;
        Name = name;
        Queues = queues;
        VlanMode = options.VlanMode;
        AccessVlan = options.AccessVlan;
        NativeVlan = options.NativeVlan;
        if (VlanMode == VlanMode.Access)
        {
            _allowed[AccessVlan] = true;
        }
        else
        {
            for (int v = 1; v < 4095; v++)
            {
                _allowed[v] = options.AllowedVlans.Count == 0;
            }

            foreach (int v in options.AllowedVlans)
            {
                _allowed[v] = true;
            }

            if (NativeVlan != 0)
            {
                _allowed[NativeVlan] = true;
            }
        }

        _counters = new PortCounters[queues.Count];
        for (int i = 0; i < _counters.Length; i++)
        {
            _counters[i] = new PortCounters();
        }
    }

    /// <summary>Index of the port in its switch (what the MAC table stores).</summary>
    public int Index { get; }

    /// <summary>The port's name.</summary>
    public string Name { get; }

    /// <summary>The queues, one per forwarding thread.</summary>
    public IReadOnlyList<IPacketPort> Queues { get; }

    /// <summary>Access or trunk.</summary>
    public VlanMode VlanMode { get; }

    /// <summary>The VLAN of an access port.</summary>
    public int AccessVlan { get; }

    /// <summary>The native VLAN of a trunk port, or 0.</summary>
    public int NativeVlan { get; }

    /// <summary>A snapshot of the counters, summed over the queues.</summary>
    /// <returns>The statistics.</returns>
    public SwitchPortStatistics GetStatistics() => PortCounters.Sum(_counters);

    /// <summary>True when the port carries <paramref name="vlan"/>.</summary>
    /// <param name="vlan">VLAN id.</param>
    /// <returns>Whether frames of that VLAN may enter and leave here.</returns>
    public bool Carries(int vlan) => (uint)vlan < 4096 && _allowed[vlan];

    internal PortCounters CountersOf(int queue) => _counters[queue];
}
