namespace ReNESENS.DataPlane.Nvme;

/// <summary>One TCP listener (an NVM subsystem port) of <see cref="NvmeTcpTarget"/>: every subsystem is reachable through each.</summary>
public sealed class NvmeListenerOptions
{
    /// <summary>IPv4 or IPv6 address to listen on (a literal, not a host name).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port (4420 is the IANA port for NVMe/TCP; 0 picks a free one).</summary>
    public int Port { get; set; } = 4420;
}
