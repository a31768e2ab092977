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

    /// <summary>TUN_F_USO4 (Linux 6.2+): UDP L4 segmentation over IPv4.</summary>
    internal const uint OffloadUso4 = 0x20;

    /// <summary>TUN_F_USO6 (Linux 6.2+): UDP L4 segmentation over IPv6.</summary>
    internal const uint OffloadUso6 = 0x40;

    /// <summary>Most descriptors <see cref="PollReadable"/> takes in one call (the shim's limit).</summary>
    internal const int MaxPollDescriptors = 256;

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

    /// <summary>Reads up to <paramref name="count"/> frames, one per buffer; returns how many (0 when none waits).</summary>
    /// <exception cref="NativeCallException">The first read failed with an error other than EAGAIN.</exception>
    internal static int ReadBurst(SafeFdHandle tap, byte** buffers, uint* capacities, uint* lengths, int count)
    {
        int n = NativeMethods.TapReadBurst(tap.Fd, buffers, capacities, lengths, count);
        NativeError.Check(n, "rn_tap_read_burst");
        return n;
    }

    /// <summary>Writes up to <paramref name="count"/> frames (gathered from <paramref name="iov"/>); returns how many were consumed, each one's bytes written or -errno in <paramref name="results"/>.</summary>
    internal static int WriteBurst(SafeFdHandle tap, IoVector* iov, int* iovCounts, int count, int* results)
    {
        int n = NativeMethods.TapWriteBurst(tap.Fd, iov, iovCounts, count, results);
        NativeError.Check(n, "rn_tap_write_burst");
        return n;
    }

    /// <summary>Waits until one of <paramref name="fds"/> is readable or <paramref name="timeoutMs"/> passes; marks the ready ones.</summary>
    internal static int PollReadable(ReadOnlySpan<int> fds, int timeoutMs, Span<byte> ready)
    {
        if (fds.Length > MaxPollDescriptors || ready.Length < fds.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Length, $"At most {MaxPollDescriptors} descriptors, and one ready flag each.");
        }

        // fixed: the spans may be on the stack or the heap; the shim reads/writes them only during the call.
        fixed (int* f = fds)
        fixed (byte* r = ready)
        {
            int n = NativeMethods.PollReadable(f, fds.Length, timeoutMs, r);
            NativeError.Check(n, "rn_poll_readable");
            return n;
        }
    }
}
