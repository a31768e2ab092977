using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A Linux TAP queue as a packet port: <c>IFF_TAP | IFF_NO_PI | IFF_VNET_HDR</c> with a 12-byte virtio-net header,
/// non-blocking, bursts of frames read and written by one native call each (one <c>read</c>/<c>writev</c> per frame
/// inside it, no managed transition per frame).
/// </summary>
/// <remarks>
/// <para>Buffers: a frame is read whole into one pool buffer, header in the headroom and frame at the data offset.
/// With offloads on, the kernel hands over TSO/USO superframes of up to 64 KiB, so the pool's buffers must hold
/// <see cref="SuperframeBufferSize"/> bytes: one large contiguous buffer per frame (one syscall, no scatter list,
/// and the switch and <see cref="SoftwareOffloads"/> see contiguous headers) at the price of memory per small frame.
/// Transmit accepts chains (gathered with <c>writev</c>).</para>
/// <para>Multi-queue: <see cref="OpenQueues"/> opens one descriptor per queue (<c>IFF_MULTI_QUEUE</c>), each a port of
/// its own for one forwarding thread; the kernel spreads flows over them.</para>
/// <para>The device lives as long as its descriptors: disposing the last queue removes it (even from another
/// network namespace it was moved to).</para>
/// </remarks>
public sealed unsafe class TapPort : IWaitablePort, IDisposable
{
    /// <summary>Frame bytes a buffer must hold after its headroom for superframes: 64 KiB of IP packet, Ethernet, VLAN tag and slack.</summary>
    public const int SuperframeCapacity = 65536 + 512;

    /// <summary>Virtio-net header size used on the descriptor.</summary>
    public const int HeaderSize = VirtioNetHeader.Size;

    private const int EthernetHeaderLength = 14;
    private const int MaxIoVectorsPerBurst = 256;

    private readonly SafeFdHandle _fd;
    private readonly BufferPool _pool;
    private readonly int _maxBurst;
    private readonly long[] _drops = new long[Enum.GetValues<TapPortDrop>().Length];
    private long _receivedPackets;
    private long _receivedBytes;
    private long _transmittedPackets;
    private long _transmittedBytes;

    private TapPort(SafeFdHandle fd, string name, int queue, BufferPool pool, int maxBurst, PortOffloads receiveOffloads)
    {
        _fd = fd;
        _pool = pool;
        _maxBurst = maxBurst;
        Name = queue == 0 ? name : $"{name}/q{queue}";
        InterfaceName = name;
        QueueIndex = queue;
        ReceiveOffloads = receiveOffloads;
    }

    /// <summary>Buffer size (<see cref="BufferPool.BufferSize"/>) a pool needs for superframes with the default headroom.</summary>
    public static int SuperframeBufferSize => BufferPool.DefaultHeadroom + SuperframeCapacity;

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The kernel's name of the interface.</summary>
    public string InterfaceName { get; }

    /// <summary>Index of this queue on a multi-queue device; 0 otherwise.</summary>
    public int QueueIndex { get; }

    /// <summary>
    /// What the kernel writes to us: checksum and segmentation offloads asked with TUNSETOFFLOAD
    /// (<see cref="PortOffloads.None"/> when the pool's buffers are too small for superframes).
    /// </summary>
    public PortOffloads ReceiveOffloads { get; }

    /// <summary>
    /// The kernel accepts partial checksums and TSO/USO superframes in the virtio-net header of every frame written
    /// to a TAP, whatever TUNSETOFFLOAD says (that call is about the other direction).
    /// </summary>
    public PortOffloads TransmitOffloads => PortOffloads.Checksum | PortOffloads.TcpV4Segmentation | PortOffloads.TcpV6Segmentation | PortOffloads.UdpSegmentation;

    /// <inheritdoc />
    public SafeFdHandle ReceiveReadyDescriptor => _fd;

    /// <inheritdoc />
    /// <remarks>A TAP descriptor is readable exactly while frames wait: nothing to arm.</remarks>
    public bool PrepareToWait() => true;

    /// <inheritdoc />
    /// <remarks>Nothing to consume: reading the frames clears readability.</remarks>
    public void EndWait()
    {
    }

    /// <summary>Frames received and handed out.</summary>
    public long ReceivedPackets => Volatile.Read(ref _receivedPackets);

    /// <summary>Bytes of the frames received (without the virtio-net header).</summary>
    public long ReceivedBytes => Volatile.Read(ref _receivedBytes);

    /// <summary>Frames the kernel accepted.</summary>
    public long TransmittedPackets => Volatile.Read(ref _transmittedPackets);

    /// <summary>Bytes of the frames the kernel accepted (without the virtio-net header).</summary>
    public long TransmittedBytes => Volatile.Read(ref _transmittedBytes);

    /// <summary>Opens (or creates) a single-queue TAP port.</summary>
    /// <param name="name">Interface name (at most 15 bytes), or empty for a kernel-chosen <c>tapN</c>.</param>
    /// <param name="pool">Where received frames are stored; see <see cref="SuperframeBufferSize"/>.</param>
    /// <param name="options">Burst size and offloads; null for the defaults.</param>
    /// <returns>The port; dispose it to remove the device.</returns>
    /// <exception cref="NativeCallException">The kernel refused the device or an ioctl.</exception>
    public static TapPort Open(string name, BufferPool pool, TapPortOptions? options = null) =>
        OpenCore(name, pool, options, 1)[0];

    /// <summary>Opens <paramref name="queueCount"/> queues of one multi-queue TAP device, one port per queue.</summary>
    /// <param name="name">Interface name (at most 15 bytes); not empty, so that every queue joins the same device.</param>
    /// <param name="queueCount">Number of queues, 1 or more.</param>
    /// <param name="pool">Where received frames are stored; see <see cref="SuperframeBufferSize"/>.</param>
    /// <param name="options">Burst size and offloads; null for the defaults.</param>
    /// <returns>The ports, in queue order; the device goes when all are disposed.</returns>
    /// <exception cref="NativeCallException">The kernel refused the device or an ioctl.</exception>
    public static IReadOnlyList<TapPort> OpenQueues(string name, int queueCount, BufferPool pool, TapPortOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queueCount);
        return OpenCore(name, pool, options, queueCount);
    }

    /// <summary>Counter of one drop reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>Frames dropped for it.</returns>
    public long GetDrops(TapPortDrop reason) => Volatile.Read(ref _drops[(int)reason]);

    /// <summary>Waits until a frame is waiting or <paramref name="timeoutMilliseconds"/> passes (-1: no limit).</summary>
    /// <returns>True when a frame is waiting.</returns>
    public bool WaitForReceive(int timeoutMilliseconds)
    {
        Span<int> fds = [_fd.Fd];
        Span<byte> ready = stackalloc byte[1];
        return TapDevice.PollReadable(fds, timeoutMilliseconds, ready) > 0 && ready[0] != 0;
    }

    /// <inheritdoc />
    public int ReceiveBurst(Span<PacketBuffer> packets)
    {
        int want = Math.Min(packets.Length, _maxBurst);
        if (want == 0)
        {
            return 0;
        }

        Span<PacketBuffer> rented = packets[..want];
        int got = _pool.TryRentBurst(rented);
        if (got == 0)
        {
            return 0;
        }

        byte** buffers = stackalloc byte*[got];
        uint* capacities = stackalloc uint[got];
        uint* lengths = stackalloc uint[got];
        for (int i = 0; i < got; i++)
        {
            PacketBuffer b = rented[i];
            Span<byte> header = b.Prepend(HeaderSize);
            // The pool's region is native memory (mmap), never moved by the GC: the address stays valid while rented.
            buffers[i] = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(header));
            capacities[i] = (uint)(HeaderSize + b.Tailroom);
        }

        int read;
        try
        {
            read = TapDevice.ReadBurst(_fd, buffers, capacities, lengths, got);
        }
        catch
        {
            ReleaseAll(rented[..got]);
            throw;
        }

        int kept = 0;
        long bytes = 0;
        for (int i = 0; i < read; i++)
        {
            PacketBuffer b = rented[i];
            int length = (int)lengths[i];
            TapPortDrop? drop = length < HeaderSize + EthernetHeaderLength ? TapPortDrop.Runt
                : length >= capacities[i] ? TapPortDrop.Oversize
                : null;
            if (drop is null)
            {
                b.Append(length - HeaderSize);
                VirtioNetHeader header = VirtioNetHeader.Read(b.Data[..HeaderSize]);
                b.TrimFront(HeaderSize);
                if (header.TryApplyTo(b) != VirtioNetHeaderError.None)
                {
                    drop = TapPortDrop.BadHeader;
                }
            }

            if (drop is { } reason)
            {
                _drops[(int)reason]++;
                b.Release();
                continue;
            }

            bytes += b.PacketLength;
            rented[kept++] = b;
        }

        ReleaseAll(rented[read..got]);
        _receivedPackets += kept;
        _receivedBytes += bytes;
        return kept;
    }

    /// <inheritdoc />
    public int TransmitBurst(ReadOnlySpan<PacketBuffer> packets)
    {
        int taken = 0;
        IoVector* iov = stackalloc IoVector[MaxIoVectorsPerBurst];
        int* counts = stackalloc int[_maxBurst];
        int* results = stackalloc int[_maxBurst];
        while (taken < packets.Length)
        {
            int frames = 0;
            int vectors = 0;
            while (taken + frames < packets.Length && frames < _maxBurst)
            {
                PacketBuffer p = packets[taken + frames];
                bool fits = p.SegmentCount <= MaxIoVectorsPerBurst - vectors;
                if (!fits && frames > 0)
                {
                    break; // Send what is gathered first; the chain gets a gather list of its own.
                }

                // A chain longer than a whole gather list, or a packet without headroom, can never be written.
                if (!fits || !p.TryPrepend(HeaderSize, out Span<byte> headerBytes))
                {
                    if (frames > 0)
                    {
                        break;
                    }

                    _drops[(int)TapPortDrop.TransmitUnfit]++;
                    p.Release();
                    taken++;
                    continue;
                }

                VirtioNetHeader.FromPacket(p).Write(headerBytes);
                int first = vectors;
                foreach (PacketBuffer segment in p.Segments)
                {
                    Span<byte> data = segment.Data;
                    // Native region memory, as in ReceiveBurst; writev only reads it during the call.
                    iov[vectors].Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(data));
                    iov[vectors].Length = (ulong)data.Length;
                    vectors++;
                }

                counts[frames++] = vectors - first;
            }

            if (frames == 0)
            {
                continue;
            }

            int consumed = TapDevice.WriteBurst(_fd, iov, counts, frames, results);
            long bytes = 0;
            int refused = 0;
            for (int i = 0; i < frames; i++)
            {
                PacketBuffer p = packets[taken + i];
                p.TrimFront(HeaderSize);
                if (i >= consumed)
                {
                    continue;
                }

                if (results[i] < 0)
                {
                    refused++;
                }
                else
                {
                    bytes += p.PacketLength;
                }

                p.Release();
            }

            _drops[(int)TapPortDrop.TransmitRefused] += refused;
            _transmittedPackets += consumed - refused;
            _transmittedBytes += bytes;
            taken += consumed;
            if (consumed < frames)
            {
                break;
            }
        }

        return taken;
    }

    /// <summary>Closes the queue's descriptor; the device goes with its last queue.</summary>
    public void Dispose() => _fd.Dispose();

    private static TapPort[] OpenCore(string name, BufferPool pool, TapPortOptions? options, int queueCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(pool);
        options ??= new TapPortOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxBurst);
        bool superframes = options.EnableOffloads && pool.BufferSize - pool.Headroom >= SuperframeCapacity;
        PortOffloads receiveOffloads = PortOffloads.None;
        var ports = new TapPort[queueCount];
        try
        {
            string actual = name;
            for (int q = 0; q < queueCount; q++)
            {
                SafeFdHandle fd = TapDevice.Open(actual, vnetHeader: true, multiQueue: queueCount > 1, out actual);
                try
                {
                    TapDevice.SetVnetHeaderSize(fd, HeaderSize);
                    if (superframes)
                    {
                        receiveOffloads = EnableReceiveOffloads(fd);
                    }
                }
                catch
                {
                    fd.Dispose();
                    throw;
                }

                ports[q] = new TapPort(fd, actual, q, pool, options.MaxBurst, receiveOffloads);
            }

            return ports;
        }
        catch
        {
            foreach (TapPort? p in ports)
            {
                p?.Dispose();
            }

            throw;
        }
    }

    private static PortOffloads EnableReceiveOffloads(SafeFdHandle fd)
    {
        const uint Tso = TapDevice.OffloadChecksum | TapDevice.OffloadTso4 | TapDevice.OffloadTso6 | TapDevice.OffloadTsoEcn;
        PortOffloads offloads = PortOffloads.Checksum | PortOffloads.TcpV4Segmentation | PortOffloads.TcpV6Segmentation;
        try
        {
            TapDevice.SetOffload(fd, Tso | TapDevice.OffloadUso4 | TapDevice.OffloadUso6);
            return offloads | PortOffloads.UdpSegmentation;
        }
        catch (NativeCallException e) when (e.Errno == NativeError.EINVAL)
        {
            // Kernels before 6.2 know no USO bits and refuse the whole mask.
            TapDevice.SetOffload(fd, Tso);
            return offloads;
        }
    }

    private static void ReleaseAll(Span<PacketBuffer> packets)
    {
        foreach (PacketBuffer p in packets)
        {
            p.Release();
        }
    }
}
