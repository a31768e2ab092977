using ReNESENS.DataPlane.Memory;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// The at-rest store of a <see cref="TransformNamespaceBackend"/>: one <see cref="DmaRegion"/> cut into
/// <see cref="UnitSize"/>-byte units, and per chunk a slot (first unit, stored length, LZ4 block length).
/// A chunk's payload takes as many units as its stored length needs, so compressible chunks take less
/// room. Freed extents go to a free list per unit count; an allocation takes from its own list, then
/// from never-used space, then splits a larger free extent. Chunk slots are read and written under
/// the caller's per-chunk lock; the allocator has its own lock.
/// </summary>
internal sealed class TransformSlotStore : IDisposable
{
    /// <summary>Allocation granule in bytes.</summary>
    public const int UnitSize = 64;

    private readonly DmaRegion _region;
    private readonly Slot[] _slots;
    private readonly Stack<long>[] _free;
    private readonly Lock _allocator = new();
    private long _nextUnit;
    private long _storedBytes;
    private long _allocatedUnits;
    private long _chunksStored;

    public TransformSlotStore(long sizeBytes, long chunkCount, int maxPayload)
    {
        _region = DmaRegion.Create(Math.Max(sizeBytes, UnitSize), PageKind.Small, lockMemory: false, name: "renesens-nvme-xform");
        _slots = new Slot[chunkCount];
        _free = new Stack<long>[UnitsFor(maxPayload) + 1];
        for (int i = 0; i < _free.Length; i++)
        {
            _free[i] = new Stack<long>();
        }
    }

    /// <summary>Bytes of the store.</summary>
    public long SizeBytes => _region.Length;

    /// <summary>Sum of the stored payload lengths of every written chunk.</summary>
    public long StoredBytes => Interlocked.Read(ref _storedBytes);

    /// <summary>Bytes of the units held by written chunks.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedUnits) * UnitSize;

    /// <summary>Chunks that hold data (neither never written nor deallocated).</summary>
    public long ChunksStored => Interlocked.Read(ref _chunksStored);

    /// <summary>The chunk's stored payload, its LZ4 block length; false when the chunk reads as zeros.</summary>
    public bool TryGet(long chunk, out DmaSlice payload, out int compressedLength)
    {
        Slot slot = _slots[chunk];
        if (slot.StoredLength == 0)
        {
            payload = default;
            compressedLength = 0;
            return false;
        }

        payload = new DmaSlice(_region, slot.FirstUnit * UnitSize, slot.StoredLength);
        compressedLength = slot.CompressedLength;
        return true;
    }

    /// <summary>Replaces the chunk's payload with <paramref name="payload"/>; false when the store has no room (the old payload stays).</summary>
    public bool TryPut(long chunk, ReadOnlySpan<byte> payload, int compressedLength)
    {
        int units = UnitsFor(payload.Length);
        Slot old = _slots[chunk];
        long first;
        lock (_allocator)
        {
            if (old.StoredLength != 0)
            {
                _free[UnitsFor(old.StoredLength)].Push(old.FirstUnit);
            }

            if (!TryAllocate(units, out first))
            {
                if (old.StoredLength != 0)
                {
                    _free[UnitsFor(old.StoredLength)].Pop();
                }

                return false;
            }
        }

        payload.CopyTo(_region.GetSpan(first * UnitSize, payload.Length));
        _slots[chunk] = new Slot(first, payload.Length, compressedLength);
        Account(old, -1);
        Account(_slots[chunk], 1);
        return true;
    }

    /// <summary>Frees the chunk's payload: it reads as zeros again.</summary>
    public void Clear(long chunk)
    {
        Slot old = _slots[chunk];
        if (old.StoredLength == 0)
        {
            return;
        }

        lock (_allocator)
        {
            _free[UnitsFor(old.StoredLength)].Push(old.FirstUnit);
        }

        _slots[chunk] = default;
        Account(old, -1);
    }

    public void Dispose() => _region.Dispose();

    private static int UnitsFor(int bytes) => (bytes + UnitSize - 1) / UnitSize;

    private bool TryAllocate(int units, out long first)
    {
        if (_free[units].TryPop(out first))
        {
            return true;
        }

        if ((_nextUnit + units) * UnitSize <= _region.Length)
        {
            first = _nextUnit;
            _nextUnit += units;
            return true;
        }

        for (int larger = units + 1; larger < _free.Length; larger++)
        {
            if (_free[larger].TryPop(out first))
            {
                _free[larger - units].Push(first + units);
                return true;
            }
        }

        return false;
    }

    private void Account(Slot slot, int sign)
    {
        if (slot.StoredLength == 0)
        {
            return;
        }

        Interlocked.Add(ref _storedBytes, sign * slot.StoredLength);
        Interlocked.Add(ref _allocatedUnits, sign * UnitsFor(slot.StoredLength));
        Interlocked.Add(ref _chunksStored, sign);
    }

    private readonly record struct Slot(long FirstUnit, int StoredLength, int CompressedLength);
}
