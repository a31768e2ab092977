namespace ReNESENS.DataPlane.Virtio;

/// <summary>How a <see cref="TapPort"/> is opened.</summary>
public sealed class TapPortOptions
{
    /// <summary>Largest receive burst handed to the kernel in one native call; the default is 32.</summary>
    public int MaxBurst { get; set; } = 32;

    /// <summary>
    /// Ask the kernel for checksum and segmentation offloads (TUN_F_CSUM, TSO4, TSO6, TSO_ECN and USO4/6 when the
    /// kernel has them), so superframes of up to 64 KiB cross the port unsplit. Needs a pool whose buffers hold
    /// <see cref="TapPort.SuperframeBufferSize"/> bytes; with smaller buffers the port asks for none. Default true.
    /// </summary>
    public bool EnableOffloads { get; set; } = true;
}
