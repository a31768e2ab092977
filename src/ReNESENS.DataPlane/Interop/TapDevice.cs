using System.Text;

namespace ReNESENS.DataPlane.Interop;

/// <summary>Opens Linux TAP devices (<c>IFF_TAP | IFF_NO_PI</c>, optionally with a virtio-net header and multi-queue).</summary>
internal static unsafe class TapDevice
{
    /// <summary>TUN_F_CSUM: the kernel may hand us frames with a partial checksum.</summary>
    internal const uint OffloadChecksum = 0x01;

    /// <summary>TUN_F_TSO4.</summary>
    internal const uint OffloadTso4 = 0x02;

    /// <summary>TUN_F_TSO6.</summary>
    internal const uint OffloadTso6 = 0x04;

    /// <summary>TUN_F_TSO_ECN.</summary>
    internal const uint OffloadTsoEcn = 0x08;

    /// <summary>
    /// Opens (or creates) the TAP interface <paramref name="name"/> (empty: the kernel picks
    /// tapN) non-blocking, and returns its descriptor and actual name.
    /// </summary>
    internal static SafeFdHandle Open(string name, bool vnetHeader, bool multiQueue, out string actualName)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Encoding.UTF8.GetByteCount(name) >= NativeMethods.InterfaceNameSize)
        {
            throw new ArgumentOutOfRangeException(nameof(name), name, "Interface names have at most 15 bytes.");
        }

        int flags = (vnetHeader ? NativeMethods.TapVnetHeader : 0) | (multiQueue ? NativeMethods.TapMultiQueue : 0);
        byte* actual = stackalloc byte[NativeMethods.InterfaceNameSize];
        NativeError.Check(NativeMethods.TapOpen(name, flags, actual, out int fd), "rn_tap_open");
        actualName = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(actual, NativeMethods.InterfaceNameSize).TrimEnd((byte)0));
        return new SafeFdHandle(fd, ownsHandle: true);
    }

    /// <summary>Sets the offloads (TUN_F_*) the kernel may use towards us.</summary>
    internal static void SetOffload(SafeFdHandle tap, uint offloads) =>
        NativeError.Check(NativeMethods.TapSetOffload(tap.Fd, offloads), "rn_tap_set_offload");

    /// <summary>Sets the virtio-net header size (10 or 12 bytes).</summary>
    internal static void SetVnetHeaderSize(SafeFdHandle tap, int size) =>
        NativeError.Check(NativeMethods.TapSetVnetHeaderSize(tap.Fd, size), "rn_tap_set_vnet_hdr_size");
}
