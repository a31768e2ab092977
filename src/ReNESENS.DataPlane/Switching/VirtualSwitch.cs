using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Virtio;

namespace ReNESENS.DataPlane.Switching;

/// <summary>
/// An L2 learning switch over <see cref="IPacketPort"/>s: each forwarding thread takes bursts from its queue of every
/// port, learns source addresses per VLAN, sends known unicast to one port and floods broadcast, multicast and
/// unknown unicast to every other port of the VLAN, handles 802.1Q access and trunk ports, completes offloads the
/// egress port lacks (<see cref="SoftwareOffloads"/>), and counts everything per port.
/// </summary>
/// <remarks>
/// Ports are added before <see cref="Start"/>. Thread w owns queue w of every port (so no port queue is touched by
/// two threads and the fast path takes no lock). Tests drive the switch without threads through <see cref="PollOnce"/>.
/// </remarks>
public sealed class VirtualSwitch : IDisposable
{
    private const int EthernetHeaderLength = 14;
    private const ushort EtherTypeVlan = 0x8100;

    private readonly VirtualSwitchOptions _options;
    private readonly ILogger _logger;
    private readonly List<SwitchPort> _ports = [];
    private readonly BufferPool _segmentPool;
    private Worker[]? _workers;
    private Thread[]? _threads;
    private volatile bool _stopping;

    /// <summary>Creates a switch without ports.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Where start, stop and failures are logged; null for none.</param>
    /// <param name="clock">Milliseconds of a monotonic clock for MAC aging; null for the system's (tests pass their own).</param>
    public VirtualSwitch(VirtualSwitchOptions? options = null, ILogger? logger = null, Func<long>? clock = null)
    {
        _options = options ?? new VirtualSwitchOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.BurstSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.Workers);
        _logger = logger ?? NullLogger.Instance;
        MacTable = new MacTable(_options.MacTableCapacity, _options.AgingTime, clock);
        _segmentPool = BufferPool.Create(_options.SegmentBufferCount, _options.SegmentBufferSize, PageKind.Auto);
    }

    /// <summary>The learning table.</summary>
    public MacTable MacTable { get; }

    /// <summary>The ports, in index order.</summary>
    public IReadOnlyList<SwitchPort> Ports => _ports;

    /// <summary>True while forwarding threads run.</summary>
    public bool IsRunning => _threads is not null && !_stopping;

    /// <summary>Adds a port with one queue per forwarding thread.</summary>
    /// <param name="name">Name for logs and counters.</param>
    /// <param name="queues">The queues; as many as <see cref="VirtualSwitchOptions.Workers"/>.</param>
    /// <param name="options">VLAN settings; null for an access port on VLAN 1.</param>
    /// <returns>The port.</returns>
    /// <exception cref="InvalidOperationException">The switch is running.</exception>
    /// <exception cref="ArgumentException">The queue count or a VLAN id is wrong.</exception>
    public SwitchPort AddPort(string name, IReadOnlyList<IPacketPort> queues, SwitchPortOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(queues);
        if (_threads is not null || _workers is not null)
        {
            throw new InvalidOperationException("Ports are added before the switch starts forwarding.");
        }

        if (queues.Count != _options.Workers)
        {
            throw new ArgumentException($"Port {name} has {queues.Count} queues; the switch runs {_options.Workers} forwarding threads and needs one queue per thread.", nameof(queues));
        }

        options ??= new SwitchPortOptions();
        CheckVlan(options.AccessVlan, nameof(options.AccessVlan), allowZero: false);
        CheckVlan(options.NativeVlan, nameof(options.NativeVlan), allowZero: true);
        foreach (int v in options.AllowedVlans)
        {
            CheckVlan(v, nameof(options.AllowedVlans), allowZero: false);
        }

        var port = new SwitchPort(_ports.Count, name, queues, options);
        _ports.Add(port);
        return port;
    }

    /// <summary>Adds a single-queue port (for a switch with one forwarding thread).</summary>
    /// <param name="port">The packet port.</param>
    /// <param name="options">VLAN settings; null for an access port on VLAN 1.</param>
    /// <returns>The switch port.</returns>
    public SwitchPort AddPort(IPacketPort port, SwitchPortOptions? options)
    {
        ArgumentNullException.ThrowIfNull(port);
        return AddPort(port.Name, [port], options);
    }

    /// <summary>Starts one forwarding thread per queue.</summary>
    /// <exception cref="InvalidOperationException">Already started, or no port.</exception>
    public void Start()
    {
        if (_threads is not null)
        {
            throw new InvalidOperationException("The switch is already forwarding.");
        }

        Worker[] workers = EnsureWorkers();
        _threads = new Thread[workers.Length];
        for (int w = 0; w < workers.Length; w++)
        {
            Worker worker = workers[w];
            _threads[w] = new Thread(() => Run(worker)) { IsBackground = true, Name = $"vswitch-{w}" };
        }

        foreach (Thread t in _threads)
        {
            t.Start();
        }

        SwitchLog.Started(_logger, workers.Length, _ports.Count, _options.Mode, _options.BurstSize);
        if (_options.Mode == ForwardingMode.Event)
        {
            foreach (Worker worker in workers)
            {
                if (!worker.CanWait && _ports.Find(p => p.Queues[worker.Index] is not IWaitablePort) is { } spinning)
                {
                    SwitchLog.BusyPollsInEventMode(_logger, worker.Index, spinning.Name);
                }
            }
        }
    }

    /// <summary>Stops the forwarding threads and waits for them.</summary>
    public void Stop()
    {
        if (_threads is null)
        {
            return;
        }

        _stopping = true;
        foreach (Thread t in _threads)
        {
            t.Join();
        }

        _threads = null;
        _stopping = false;
        SwitchLog.Stopped(_logger);
    }

    /// <summary>One forwarding pass of thread <paramref name="worker"/> over its queues (for tests and custom loops; not while threads run).</summary>
    /// <param name="worker">The forwarding thread index.</param>
    /// <returns>Packets received in the pass.</returns>
    public int PollOnce(int worker = 0)
    {
        Worker[] workers = EnsureWorkers();
        return workers[worker].Pass();
    }

    /// <summary>Stops forwarding and frees the switch's own buffers (not the ports: their owner disposes them).</summary>
    public void Dispose()
    {
        Stop();
        _segmentPool.Dispose();
    }

    private static void CheckVlan(int vlan, string name, bool allowZero)
    {
        if (vlan is < 0 or > 4094 || (vlan == 0 && !allowZero))
        {
            throw new ArgumentOutOfRangeException(name, vlan, "VLAN ids run from 1 to 4094.");
        }
    }

    private Worker[] EnsureWorkers()
    {
        if (_workers is null)
        {
            if (_ports.Count == 0)
            {
                throw new InvalidOperationException("The switch has no port.");
            }

            _workers = new Worker[_options.Workers];
            for (int w = 0; w < _workers.Length; w++)
            {
                _workers[w] = new Worker(this, w);
            }
        }

        return _workers;
    }

    private void Run(Worker worker)
    {
        try
        {
            var spin = new SpinWait();
            while (!_stopping)
            {
                if (worker.Pass() > 0)
                {
                    spin.Reset();
                    continue;
                }

                if (_options.Mode == ForwardingMode.Event && worker.CanWait)
                {
                    worker.Wait(100);
                }
                else
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
        }
        catch (Exception e)
        {
            // A bug, not a port failure (those are caught per port): log it and end this thread, not the process.
            SwitchLog.WorkerFailed(_logger, e, worker.Index);
        }
    }

    /// <summary>The state of one forwarding thread: its receive burst and one pending transmit batch per port.</summary>
    private sealed class Worker
    {
        private readonly VirtualSwitch _switch;
        private readonly SwitchPort[] _ports;
        private readonly PacketBuffer[] _burst;
        private readonly PacketBuffer[][] _pending;
        private readonly int[] _pendingCount;
        private readonly PacketBuffer[] _segments = new PacketBuffer[64];
        private readonly bool[] _failed;
        private readonly IWaitablePort[] _waitPorts;
        private readonly int[] _waitFds;
        private readonly byte[] _ready;

        internal Worker(VirtualSwitch owner, int index)
        {
            _switch = owner;
            Index = index;
            _ports = [.. owner._ports];
            _burst = new PacketBuffer[owner._options.BurstSize];
            _pending = new PacketBuffer[_ports.Length][];
            _pendingCount = new int[_ports.Length];
            _failed = new bool[_ports.Length];
            for (int i = 0; i < _ports.Length; i++)
            {
                _pending[i] = new PacketBuffer[owner._options.BurstSize * 2];
            }

            var waitable = new List<IWaitablePort>();
            foreach (SwitchPort p in _ports)
            {
                if (p.Queues[index] is IWaitablePort w)
                {
                    waitable.Add(w);
                }
            }

            CanWait = waitable.Count == _ports.Length && waitable.Count <= TapDevice.MaxPollDescriptors;
            _waitPorts = [.. waitable];
            _waitFds = [.. waitable.Select(w => w.ReceiveReadyDescriptor.Fd)];
            _ready = new byte[_waitFds.Length];
        }

        internal int Index { get; }

        internal bool CanWait { get; }

        /// <summary>Arms every port, sleeps on their descriptors unless one already has work, then disarms them all.</summary>
        internal void Wait(int timeoutMs)
        {
            bool sleep = true;
            foreach (IWaitablePort port in _waitPorts)
            {
                // Every port is armed, even after one said it has work: EndWait below disarms them all alike.
                sleep &= port.PrepareToWait();
            }

            if (sleep)
            {
                TapDevice.PollReadable(_waitFds, timeoutMs, _ready);
            }

            foreach (IWaitablePort port in _waitPorts)
            {
                port.EndWait();
            }
        }

        internal int Pass()
        {
            int total = 0;
            foreach (SwitchPort ingress in _ports)
            {
                if (_failed[ingress.Index])
                {
                    continue;
                }

                int n;
                try
                {
                    n = ingress.Queues[Index].ReceiveBurst(_burst);
                }
                catch (Exception e) when (e is NativeCallException or ObjectDisposedException)
                {
                    Fail(ingress, e);
                    continue;
                }

                if (n == 0)
                {
                    continue;
                }

                total += n;
                PortCounters rx = ingress.CountersOf(Index);
                rx.ReceivedPackets += n;
                for (int i = 0; i < n; i++)
                {
                    PacketBuffer p = _burst[i];
                    _burst[i] = null!;
                    rx.ReceivedBytes += p.PacketLength;
                    Forward(ingress, p, rx);
                }

                FlushAll();
            }

            return total;
        }

        private void Forward(SwitchPort ingress, PacketBuffer p, PortCounters rx)
        {
            SwitchDropReason? drop = Classify(ingress, p, out int vlan);
            if (drop is { } reason)
            {
                rx.Drops[(int)reason]++;
                p.Release();
                return;
            }

            ReadOnlySpan<byte> frame = p.Data;
            _switch.MacTable.Learn(frame.Slice(6, 6), vlan, ingress.Index);
            if ((frame[0] & 1) == 0 && _switch.MacTable.TryLookup(frame[..6], vlan, out int target))
            {
                if (target == ingress.Index)
                {
                    rx.Drops[(int)SwitchDropReason.SameSegment]++;
                    p.Release();
                    return;
                }

                if ((uint)target < (uint)_ports.Length && _ports[target].Carries(vlan))
                {
                    Enqueue(_ports[target], p);
                    return;
                }
            }

            Flood(ingress, p, vlan);
        }

        /// <summary>Checks the Ethernet and VLAN headers, strips a tag into the metadata and finds the frame's VLAN.</summary>
        private static SwitchDropReason? Classify(SwitchPort ingress, PacketBuffer p, out int vlan)
        {
            vlan = 0;
            Span<byte> frame = p.Data;
            if (frame.Length < EthernetHeaderLength)
            {
                return SwitchDropReason.Runt;
            }

            if ((frame[6] & 1) != 0)
            {
                return SwitchDropReason.BadSourceAddress;
            }

            int tci = -1;
            if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherTypeVlan)
            {
                if (frame.Length < EthernetHeaderLength + 4)
                {
                    return SwitchDropReason.BadVlanTag;
                }

                tci = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                frame[..12].CopyTo(frame[4..]);
                p.TrimFront(4);
                if (p.ChecksumState == ChecksumState.Partial)
                {
                    if (p.ChecksumStart < 4)
                    {
                        return SwitchDropReason.BadVlanTag;
                    }

                    p.SetChecksumPartial(p.ChecksumStart - 4, p.ChecksumOffset);
                }
            }
            else if (p.HasVlan)
            {
                tci = p.VlanTci;
            }

            int id = tci < 0 ? 0 : tci & 0xFFF;
            if (id == 0xFFF)
            {
                return SwitchDropReason.BadVlanTag;
            }

            if (tci < 0 || id == 0)
            {
                // Untagged or priority-tagged: the port's own VLAN.
                vlan = ingress.VlanMode == VlanMode.Access ? ingress.AccessVlan : ingress.NativeVlan;
                if (vlan == 0)
                {
                    return SwitchDropReason.VlanNotAllowed;
                }

                tci = (tci < 0 ? 0 : tci & 0xF000) | vlan;
            }
            else
            {
                if (ingress.VlanMode == VlanMode.Access || !ingress.Carries(id))
                {
                    return SwitchDropReason.VlanNotAllowed;
                }

                vlan = id;
            }

            p.SetVlan((ushort)tci);
            return null;
        }

        private void Flood(SwitchPort ingress, PacketBuffer p, int vlan)
        {
            SwitchPort? last = null;
            foreach (SwitchPort port in _ports)
            {
                if (port == ingress || !port.Carries(vlan))
                {
                    continue;
                }

                if (last is not null)
                {
                    if (TryClone(p, out PacketBuffer? copy))
                    {
                        Enqueue(last, copy);
                    }
                    else
                    {
                        last.CountersOf(Index).Drops[(int)SwitchDropReason.NoBuffer]++;
                    }
                }

                last = port;
            }

            if (last is null)
            {
                p.Release();
                return;
            }

            Enqueue(last, p);
        }

        private static bool TryClone(PacketBuffer p, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PacketBuffer? copy)
        {
            if (!p.Pool.TryRent(out copy))
            {
                return false;
            }

            if (!copy.TryAppend(p.PacketLength, out Span<byte> data))
            {
                copy.Release();
                copy = null;
                return false;
            }

            p.CopyTo(data);
            if (p.ChecksumState == ChecksumState.Partial)
            {
                copy.SetChecksumPartial(p.ChecksumStart, p.ChecksumOffset);
            }
            else if (p.ChecksumState == ChecksumState.Valid)
            {
                copy.SetChecksumValid();
            }

            copy.SetGso(p.GsoType, p.GsoSize);
            copy.SetVlan((ushort)p.VlanTci);
            return true;
        }

        /// <summary>Egress processing (VLAN tag, software offloads) and queuing for the port's next burst.</summary>
        private void Enqueue(SwitchPort egress, PacketBuffer p)
        {
            PortCounters tx = egress.CountersOf(Index);
            int tci = p.VlanTci;
            p.ClearVlan();
            int vlan = tci & 0xFFF;
            bool tagged = egress.VlanMode == VlanMode.Trunk && vlan != egress.NativeVlan;
            if (tagged)
            {
                if (!p.TryPrepend(4, out _))
                {
                    tx.Drops[(int)SwitchDropReason.NoBuffer]++;
                    p.Release();
                    return;
                }

                Span<byte> frame = p.Data;
                frame.Slice(4, 12).CopyTo(frame);
                BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherTypeVlan);
                BinaryPrimitives.WriteUInt16BigEndian(frame[14..], (ushort)tci);
                if (p.ChecksumState == ChecksumState.Partial)
                {
                    p.SetChecksumPartial(p.ChecksumStart + 4, p.ChecksumOffset);
                }
            }

            IPacketPort queue = egress.Queues[Index];
            OffloadStatus status = SoftwareOffloads.PrepareForTransmit(p, queue.TransmitOffloads, _switch._segmentPool, _segments, out int count);
            if (status != OffloadStatus.Done)
            {
                tx.Drops[(int)(status is OffloadStatus.NoBuffer ? SwitchDropReason.NoBuffer : SwitchDropReason.OffloadFailed)]++;
                p.Release();
                return;
            }

            PacketBuffer[] pending = _pending[egress.Index];
            for (int i = 0; i < count; i++)
            {
                if (_pendingCount[egress.Index] == pending.Length)
                {
                    Flush(egress);
                }

                pending[_pendingCount[egress.Index]++] = _segments[i];
                _segments[i] = null!;
            }
        }

        /// <summary>A port whose queue threw (its device went away): this thread stops using it; the others go on.</summary>
        private void Fail(SwitchPort port, Exception e)
        {
            _failed[port.Index] = true;
            SwitchLog.PortFailed(_switch._logger, e, port.Name, Index);
        }

        private void FlushAll()
        {
            foreach (SwitchPort port in _ports)
            {
                if (_pendingCount[port.Index] > 0)
                {
                    Flush(port);
                }
            }
        }

        private void Flush(SwitchPort egress)
        {
            PacketBuffer[] pending = _pending[egress.Index];
            int n = _pendingCount[egress.Index];
            _pendingCount[egress.Index] = 0;
            long bytes = 0;
            for (int i = 0; i < n; i++)
            {
                bytes += pending[i].PacketLength;
            }

            int sent = 0;
            SwitchDropReason reason = SwitchDropReason.TransmitFull;
            if (_failed[egress.Index])
            {
                reason = SwitchDropReason.PortFailed;
            }
            else
            {
                try
                {
                    sent = egress.Queues[Index].TransmitBurst(pending.AsSpan(0, n));
                }
                catch (Exception e) when (e is NativeCallException or ObjectDisposedException)
                {
                    // What the port took before it failed is unknown: count the burst as lost, release nothing twice.
                    Fail(egress, e);
                    Array.Clear(pending, 0, n);
                    egress.CountersOf(Index).Drops[(int)SwitchDropReason.PortFailed] += n;
                    return;
                }
            }

            PortCounters tx = egress.CountersOf(Index);
            for (int i = sent; i < n; i++)
            {
                bytes -= pending[i].PacketLength;
                pending[i].Release();
                tx.Drops[(int)reason]++;
            }

            Array.Clear(pending, 0, n);
            tx.TransmittedPackets += sent;
            tx.TransmittedBytes += bytes;
        }
    }
}
