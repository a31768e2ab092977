namespace ReNESENS.VSwitch;

/// <summary>The demonstration around the switch: network namespaces for ports that name one, and the start ping.</summary>
internal sealed class LabOptions
{
    /// <summary>False: create no namespace, leave the ports in this namespace.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Echo requests of the ping between the first two namespaces at start (0: no ping).</summary>
    public int PingCount { get; set; } = 3;
}
