using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Virtio;

/// <summary>
/// A guest's memory as the frontend shared it: up to <see cref="MaxRegions"/> regions, each a file mapped
/// through <see cref="DmaRegion.Map"/>, with translation of guest physical and frontend user addresses.
/// A range translates only when it lies entirely inside one region; every sum is checked for overflow.
/// </summary>
internal sealed unsafe class GuestMemory : IDisposable
{
    /// <summary>Regions a vhost-user memory table carries at most (VHOST_MEMORY_BASELINE_NREGIONS).</summary>
    internal const int MaxRegions = 8;

    private readonly Mapped[] _regions;
    private readonly DmaRegion[] _mappings;

    private GuestMemory(Mapped[] regions, DmaRegion[] mappings)
    {
        _regions = regions;
        _mappings = mappings;
    }

    /// <summary>Number of regions.</summary>
    internal int RegionCount => _regions.Length;

    /// <summary>The table, for diagnostics.</summary>
    internal GuestMemoryRegion GetRegion(int index) => _regions[index].Description;

    /// <summary>
    /// Maps each region from its file. Regions must not overlap in guest physical or user address space;
    /// <c>mmap_offset + size</c> must lie inside the file. The caller keeps ownership of <paramref name="files"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The table is malformed or a file is too short.</exception>
    /// <exception cref="NativeCallException">A file could not be mapped.</exception>
    internal static GuestMemory Map(ReadOnlySpan<GuestMemoryRegion> table, ReadOnlySpan<SafeFdHandle> files)
    {
        if (table.Length is 0 or > MaxRegions || files.Length != table.Length)
        {
            throw new ArgumentException($"A memory table has 1 to {MaxRegions} regions, each with one file; {table.Length} regions and {files.Length} files given.", nameof(table));
        }

        Validate(table);
        var regions = new Mapped[table.Length];
        var mappings = new DmaRegion[table.Length];
        int mapped = 0;
        try
        {
            for (int i = 0; i < table.Length; i++)
            {
                GuestMemoryRegion r = table[i];
                NativeError.Check(NativeMethods.FdSize(files[i].Fd, out ulong fileSize), "rn_fd_size");
                if (r.MmapOffset > fileSize || r.Size > fileSize - r.MmapOffset)
                {
                    throw new ArgumentException($"Region {i}: [{r.MmapOffset}, +{r.Size}) lies outside its {fileSize}-byte file.", nameof(table));
                }

                // The whole file is mapped from offset 0 (as DPDK does): a hugetlbfs mapping must start and end
                // on huge page boundaries, which the file's own size and offset 0 always are.
                mappings[i] = DmaRegion.Map(files[i], 0, checked((long)fileSize));
                mapped++;

                // Invariant: MmapOffset + Size <= fileSize was checked above, so Base..Base+Size is inside the mapping.
                regions[i] = new Mapped(r, mappings[i].Pointer + r.MmapOffset);
            }

            return new GuestMemory(regions, mappings);
        }
        catch
        {
            for (int i = 0; i < mapped; i++)
            {
                mappings[i].Dispose();
            }

            throw;
        }
    }

    /// <summary>Translates the guest physical range <c>[address, address + length)</c>; null when any byte is unmapped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* TranslateGuest(ulong address, ulong length)
    {
        Mapped[] regions = _regions;
        for (int i = 0; i < regions.Length; i++)
        {
            ref readonly Mapped r = ref regions[i];
            ulong rel = address - r.Description.GuestPhysicalAddress;
            if (address >= r.Description.GuestPhysicalAddress && rel < r.Description.Size && length <= r.Description.Size - rel)
            {
                // Invariant: rel + length <= Size, so the whole range is inside this region's mapping.
                return r.Base + rel;
            }
        }

        return null;
    }

    /// <summary>Translates a range of the frontend's user address space (vring addresses); null when any byte is unmapped.</summary>
    internal byte* TranslateUser(ulong address, ulong length)
    {
        foreach (Mapped r in _regions)
        {
            ulong rel = address - r.Description.UserAddress;
            if (address >= r.Description.UserAddress && rel < r.Description.Size && length <= r.Description.Size - rel)
            {
                // Invariant: rel + length <= Size, so the whole range is inside this region's mapping.
                return r.Base + rel;
            }
        }

        return null;
    }

    /// <summary>Unmaps every region and closes the duplicated files.</summary>
    public void Dispose()
    {
        foreach (DmaRegion m in _mappings)
        {
            m.Dispose();
        }
    }

    private static void Validate(ReadOnlySpan<GuestMemoryRegion> table)
    {
        for (int i = 0; i < table.Length; i++)
        {
            GuestMemoryRegion r = table[i];
            if (r.Size == 0 || r.GuestPhysicalAddress > ulong.MaxValue - r.Size || r.UserAddress > ulong.MaxValue - r.Size
                || r.MmapOffset > long.MaxValue || r.Size > long.MaxValue)
            {
                throw new ArgumentException($"Region {i} is empty or wraps around the address space.", nameof(table));
            }

            for (int j = 0; j < i; j++)
            {
                GuestMemoryRegion o = table[j];
                if (Overlaps(r.GuestPhysicalAddress, r.Size, o.GuestPhysicalAddress, o.Size) || Overlaps(r.UserAddress, r.Size, o.UserAddress, o.Size))
                {
                    throw new ArgumentException($"Regions {j} and {i} overlap.", nameof(table));
                }
            }
        }
    }

    private static bool Overlaps(ulong a, ulong aSize, ulong b, ulong bSize) => a < b + bSize && b < a + aSize;

    private readonly struct Mapped(GuestMemoryRegion description, byte* @base)
    {
        public readonly GuestMemoryRegion Description = description;
        public readonly byte* Base = @base;
    }
}
