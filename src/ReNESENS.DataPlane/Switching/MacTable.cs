using System.Runtime.CompilerServices;

namespace ReNESENS.DataPlane.Switching;

/// <summary>
/// The L2 forwarding table: (MAC address, VLAN) to port index, learned from source addresses, each entry aging out
/// <see cref="AgingTime"/> after it was last seen. Fixed capacity, open addressing with a probe window of
/// <see cref="ProbeWindow"/> slots: when the window of a new address holds no free or aged slot, learning fails
/// and is counted (the frame is still forwarded, by flooding).
/// </summary>
/// <remarks>
/// Lookups and refreshes of a known address take no lock; placing a new address takes a short lock so that two
/// forwarding threads never store one address twice. An entry is two longs: the key is written after its value
/// (release) and read before it (acquire), and a reader checks the key again after reading the value.
/// </remarks>
public sealed class MacTable
{
    /// <summary>Slots probed for an address, from its hash on.</summary>
    public const int ProbeWindow = 8;

    private const ulong ValidBit = 1UL << 63;
    private readonly ulong[] _keys;
    private readonly long[] _values;
    private readonly int _mask;
    private readonly long _agingMilliseconds;
    private readonly Func<long> _clock;
    private readonly Lock _insertLock = new();
    private long _learnFailures;

    /// <summary>Creates an empty table.</summary>
    /// <param name="capacity">Entries; rounded up to a power of two, at least <see cref="ProbeWindow"/>.</param>
    /// <param name="agingTime">How long an entry lives after it was last seen; positive.</param>
    /// <param name="clock">Milliseconds of a monotonic clock; null for <see cref="Environment.TickCount64"/> (tests pass their own).</param>
    public MacTable(int capacity, TimeSpan agingTime, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 24);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(agingTime, TimeSpan.Zero);
        int size = (int)Math.Max(ProbeWindow, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _keys = new ulong[size];
        _values = new long[size];
        _mask = size - 1;
        _agingMilliseconds = (long)agingTime.TotalMilliseconds;
        _clock = clock ?? (static () => Environment.TickCount64);
        AgingTime = agingTime;
    }

    /// <summary>Number of slots.</summary>
    public int Capacity => _keys.Length;

    /// <summary>How long an entry lives after it was last seen.</summary>
    public TimeSpan AgingTime { get; }

    /// <summary>New addresses that found no slot (table or probe window full).</summary>
    public long LearnFailures => Volatile.Read(ref _learnFailures);

    /// <summary>Entries that have not aged out; a snapshot that walks the table.</summary>
    public int Count
    {
        get
        {
            long now = _clock();
            int n = 0;
            for (int i = 0; i < _keys.Length; i++)
            {
                if ((Volatile.Read(ref _keys[i]) & ValidBit) != 0 && IsFresh(Volatile.Read(ref _values[i]), now))
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Records that <paramref name="mac"/> on <paramref name="vlan"/> was seen on <paramref name="port"/> (learning).</summary>
    /// <param name="mac">The source address (6 bytes).</param>
    /// <param name="vlan">VLAN id, 0 to 4095.</param>
    /// <param name="port">Port index, 0 to 65535.</param>
    /// <returns>False when there was no room (counted in <see cref="LearnFailures"/>).</returns>
    public bool Learn(ReadOnlySpan<byte> mac, int vlan, int port)
    {
        ulong key = MakeKey(mac, vlan);
        long now = _clock();
        long value = ((long)port << 48) | (now & 0xFFFF_FFFF_FFFF);
        int start = Hash(key);
        for (int i = 0; i < ProbeWindow; i++)
        {
            int slot = (start + i) & _mask;
            if (Volatile.Read(ref _keys[slot]) == key)
            {
                // Refresh or move: a plain store of the value; the key stays.
                Volatile.Write(ref _values[slot], value);
                return true;
            }
        }

        lock (_insertLock)
        {
            return InsertUnsynchronized(key, value, start, now);
        }
    }

    /// <summary>Finds the port of <paramref name="mac"/> on <paramref name="vlan"/>.</summary>
    /// <param name="mac">The destination address (6 bytes).</param>
    /// <param name="vlan">VLAN id.</param>
    /// <param name="port">The port index when found.</param>
    /// <returns>False when unknown or aged out.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(ReadOnlySpan<byte> mac, int vlan, out int port)
    {
        ulong key = MakeKey(mac, vlan);
        int start = Hash(key);
        for (int i = 0; i < ProbeWindow; i++)
        {
            int slot = (start + i) & _mask;
            if (Volatile.Read(ref _keys[slot]) != key)
            {
                continue;
            }

            long value = Volatile.Read(ref _values[slot]);
            if (Volatile.Read(ref _keys[slot]) == key && IsFresh(value, _clock()))
            {
                port = (int)((ulong)value >> 48);
                return true;
            }
        }

        port = -1;
        return false;
    }

    /// <summary>Forgets every entry that points to <paramref name="port"/> (when a port goes away).</summary>
    /// <param name="port">The port index.</param>
    public void Flush(int port)
    {
        lock (_insertLock)
        {
            for (int i = 0; i < _keys.Length; i++)
            {
                if ((int)((ulong)Volatile.Read(ref _values[i]) >> 48) == port)
                {
                    Volatile.Write(ref _keys[i], 0);
                }
            }
        }
    }

    private static ulong MakeKey(ReadOnlySpan<byte> mac, int vlan)
    {
        ulong m = ((ulong)mac[0] << 40) | ((ulong)mac[1] << 32) | ((ulong)mac[2] << 24) | ((ulong)mac[3] << 16) | ((ulong)mac[4] << 8) | mac[5];
        return ValidBit | (m << 12) | (uint)(vlan & 0xFFF);
    }

    private int Hash(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 40) & _mask;

    private bool IsFresh(long value, long now) => now - (value & 0xFFFF_FFFF_FFFF) < _agingMilliseconds;

    private bool InsertUnsynchronized(ulong key, long value, int start, long now)
    {
        int free = -1;
        for (int i = 0; i < ProbeWindow; i++)
        {
            int slot = (start + i) & _mask;
            ulong k = _keys[slot];
            if (k == key)
            {
                Volatile.Write(ref _values[slot], value);
                return true;
            }

            if (free < 0 && ((k & ValidBit) == 0 || !IsFresh(_values[slot], now)))
            {
                free = slot;
            }
        }

        if (free < 0)
        {
            Interlocked.Increment(ref _learnFailures);
            return false;
        }

        // Readers match the key first: hide the slot, then write the value, then publish the key.
        Volatile.Write(ref _keys[free], 0);
        Volatile.Write(ref _values[free], value);
        Volatile.Write(ref _keys[free], key);
        return true;
    }
}
