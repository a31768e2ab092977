namespace ReNESENS.DataPlane.Nvme;

/// <summary>An asynchronous event a controller posted (the completion of an Asynchronous Event Request, NVMe base 2.0 figure 148).</summary>
public sealed class NvmeAsyncEvent
{
    internal NvmeAsyncEvent(uint dword0)
    {
        Type = (byte)(dword0 & 7);
        Information = (byte)(dword0 >> 8);
        LogPageId = (byte)(dword0 >> 16);
    }

    /// <summary>Asynchronous Event Type (bits 2:0): 0 error, 1 SMART / health, 2 notice, 6 I/O command set specific, 7 vendor specific.</summary>
    public byte Type { get; }

    /// <summary>Asynchronous Event Information (bits 15:8): for a notice, 00h Namespace Attribute Changed, F0h Discovery Log Page Change.</summary>
    public byte Information { get; }

    /// <summary>The log page to read (bits 23:16) to learn more and clear the event: 04h Changed Namespace List, 70h discovery.</summary>
    public byte LogPageId { get; }
}
