using System.Buffers;
using System.Runtime.CompilerServices;
using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Memory;

/// <summary>
/// A block of shared, page-aligned memory backed by a memory file (memfd, or hugetlbfs when
/// huge pages are used), locked in RAM, shareable with another process by its descriptor,
/// with bounds-checked views and offset/IOVA translation.
/// </summary>
/// <remarks>
/// The IOVA of a region is the address a device or guest uses for its first byte: by default
/// the region's own virtual address (DPDK's IOVA-as-VA), or the one given to
/// <see cref="Map(SafeFdHandle, long, long, ulong, bool)"/> (for example a guest physical address).
/// Views handed out by <see cref="GetSpan"/> and <see cref="GetMemory"/> must not outlive the region:
/// <see cref="Dispose"/> unmaps the memory.
/// </remarks>
public sealed unsafe class DmaRegion : IDisposable
{
    private const long SmallPageSize = 4096;

    private readonly SafeFdHandle _fd;
    private readonly MappingHandle _mapping;
    private readonly RegionMemoryManager? _manager;

    /// <summary>1 once <see cref="Dispose"/> has run; written once by the disposing thread.</summary>
    private int _disposed;

    private DmaRegion(SafeFdHandle fd, MappingHandle mapping, long length, PageKind kind, long pageSize, ulong iova, bool locked)
    {
        _fd = fd;
        _mapping = mapping;
        Length = length;
        PageKind = kind;
        PageSize = pageSize;
        Iova = iova;
        IsLocked = locked;
        _manager = length <= int.MaxValue ? new RegionMemoryManager(this, (int)length) : null;
    }

    /// <summary>Length in bytes (a whole number of pages).</summary>
    public long Length { get; }

    /// <summary>The kind of pages actually used: <see cref="PageKind.Small"/> or <see cref="PageKind.Huge"/>.</summary>
    public PageKind PageKind { get; }

    /// <summary>Size of one page of this region in bytes.</summary>
    public long PageSize { get; }

    /// <summary>IOVA of the first byte.</summary>
    public ulong Iova { get; }

    /// <summary>True when the pages are locked in RAM (mlock).</summary>
    public bool IsLocked { get; }

    /// <summary>The memory file; send it to another process (SCM_RIGHTS) so it can <see cref="Map(SafeFdHandle, long, long, ulong, bool)"/> the region.</summary>
    public SafeFdHandle FileDescriptor
    {
        get
        {
            ThrowIfDisposed();
            return _fd;
        }
    }

    /// <summary>Address of the first byte. Valid until <see cref="Dispose"/>.</summary>
    internal byte* Pointer => (byte*)_mapping.DangerousGetHandle();

    /// <summary>
    /// Creates a region of at least <paramref name="length"/> bytes, rounded up to whole pages.
    /// </summary>
    /// <param name="length">Requested length in bytes; positive.</param>
    /// <param name="kind">Page kind; <see cref="PageKind.Auto"/> uses huge pages when enough are free.</param>
    /// <param name="lockMemory">Lock the pages in RAM so they are never swapped (what a device needs).</param>
    /// <param name="name">Name of the memory file, visible in <c>/proc/self/fd</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The length is not positive.</exception>
    /// <exception cref="NativeCallException">The kernel refused the file, the mapping or the lock.</exception>
    public static DmaRegion Create(long length, PageKind kind = PageKind.Auto, bool lockMemory = true, string name = "renesens-dma")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (kind is not (PageKind.Auto or PageKind.Small or PageKind.Huge))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown page kind.");
        }

        if (kind != PageKind.Small)
        {
            HugePageInfo huge = HugePageInfo.Read();
            long hugeLength = huge.PageSize > 0 ? RoundUp(length, huge.PageSize) : 0;
            if (kind == PageKind.Huge || (huge.PageSize > 0 && huge.FreeBytes >= hugeLength))
            {
                if (huge.PageSize == 0)
                {
                    NativeError.Throw("rn_memfd_create(MFD_HUGETLB)", NativeError.ENOMEM);
                }

                DmaRegion? region = TryCreate(name, hugeLength, PageKind.Huge, huge.PageSize, lockMemory, throwOnFailure: kind == PageKind.Huge);
                if (region is not null)
                {
                    return region;
                }
            }
        }

        return TryCreate(name, RoundUp(length, SmallPageSize), PageKind.Small, SmallPageSize, lockMemory, throwOnFailure: true)!;
    }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of a memory file received from another process,
    /// starting at <paramref name="offset"/> (a multiple of 4 KiB). The region keeps its own
    /// duplicate of the descriptor; the caller still owns <paramref name="fd"/>.
    /// </summary>
    /// <param name="fd">The memory file.</param>
    /// <param name="offset">Offset in the file of the first mapped byte.</param>
    /// <param name="length">Bytes to map; the range must lie inside the file.</param>
    /// <param name="iova">IOVA of the first mapped byte (for example a guest physical address); 0 means the local virtual address.</param>
    /// <param name="lockMemory">Lock the pages in RAM.</param>
    /// <exception cref="ArgumentOutOfRangeException">Offset or length out of range, or past the end of the file.</exception>
    /// <exception cref="NativeCallException">The descriptor is bad or the kernel refused the mapping.</exception>
    public static DmaRegion Map(SafeFdHandle fd, long offset, long length, ulong iova = 0, bool lockMemory = false)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ObjectDisposedException.ThrowIf(fd.IsClosed, fd);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        if (offset % SmallPageSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset must be a multiple of 4096.");
        }

        SafeFdHandle own = fd.Duplicate();
        try
        {
            NativeError.Check(NativeMethods.FdSize(own.Fd, out ulong fileSize), "rn_fd_size");
            if ((ulong)offset > fileSize || (ulong)length > fileSize - (ulong)offset)
            {
                throw new ArgumentOutOfRangeException(nameof(length), length, $"The range [{offset}, {offset}+{length}) lies outside the {fileSize}-byte file.");
            }

            NativeError.Check(NativeMethods.MmapShared(own.Fd, (ulong)length, (ulong)offset, out nint address), "rn_mmap_shared");
            var mapping = new MappingHandle(address, length);
            bool locked = LockOrThrow(mapping, lockMemory);
            return new DmaRegion(own, mapping, length, PageKind.Small, SmallPageSize, iova == 0 ? (ulong)address : iova, locked);
        }
        catch
        {
            own.Dispose();
            throw;
        }
    }

    /// <summary>A writable view of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the region.</exception>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(long offset, int length)
    {
        CheckRange(offset, length);

        // Invariant: CheckRange proved [offset, offset + length) lies inside the live mapping.
        return new Span<byte>(Pointer + offset, length);
    }

    /// <summary>A <see cref="Memory{T}"/> view of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the region.</exception>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    public Memory<byte> GetMemory(long offset, int length)
    {
        CheckRange(offset, length);
        if (_manager is not null)
        {
            return _manager.Memory.Slice((int)offset, length);
        }

        return new RegionMemoryManager(this, offset, length).Memory;
    }

    /// <summary>Translates an IOVA range into an offset in this region.</summary>
    /// <returns>False when any byte of <c>[iova, iova + length)</c> lies outside the region.</returns>
    public bool TryGetOffset(ulong iova, long length, out long offset)
    {
        ulong rel = iova - Iova;
        if (iova < Iova || length < 0 || rel > (ulong)Length || (ulong)length > (ulong)Length - rel)
        {
            offset = 0;
            return false;
        }

        offset = (long)rel;
        return true;
    }

    /// <summary>The IOVA of the byte at <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is outside the region.</exception>
    public ulong GetIova(long offset)
    {
        if ((ulong)offset > (ulong)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offset outside the {Length}-byte region.");
        }

        return Iova + (ulong)offset;
    }

    /// <summary>Unmaps the memory and closes the memory file; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _mapping.Dispose();
        _fd.Dispose();
    }

    /// <summary>
    /// Keeps the memory mapped past a <see cref="Dispose"/> until the matching <see cref="ReleaseMapping"/>: for
    /// bytes handed to a system call (a socket send straight from the region) that another thread may dispose under.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region is disposed.</exception>
    internal void AddMappingReference()
    {
        bool added = false;
        _mapping.DangerousAddRef(ref added);
    }

    /// <summary>Gives back a reference taken by <see cref="AddMappingReference"/>; the last one after <see cref="Dispose"/> unmaps.</summary>
    internal void ReleaseMapping() => _mapping.DangerousRelease();

    /// <summary>True once <see cref="Dispose"/> ran (a device engine routes such buffers to software, which reports them).</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Throws when the region is disposed.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckRange(long offset, long length)
    {
        if ((ulong)offset > (ulong)Length || (ulong)length > (ulong)(Length - offset))
        {
            ThrowRange(offset, length);
        }

        if (_disposed != 0)
        {
            ThrowIfDisposed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowRange(long offset, long length) =>
        throw new ArgumentOutOfRangeException(nameof(offset), $"The range [{offset}, {offset}+{length}) is not inside the {Length}-byte region.");

    private static DmaRegion? TryCreate(string name, long length, PageKind kind, long pageSize, bool lockMemory, bool throwOnFailure)
    {
        int rc = NativeMethods.MemfdCreate(name, (ulong)length, kind == PageKind.Huge ? NativeMethods.PageHuge : NativeMethods.PageSmall, out int fdNumber);
        if (rc < 0)
        {
            return throwOnFailure ? throw new NativeCallException("rn_memfd_create", -rc) : null;
        }

        var fd = new SafeFdHandle(fdNumber, ownsHandle: true);
        MappingHandle? mapping = null;
        try
        {
            rc = NativeMethods.MmapShared(fd.Fd, (ulong)length, 0, out nint address);
            if (rc < 0)
            {
                // A hugetlb file with too few free pages fails here (MAP_POPULATE), not later.
                fd.Dispose();
                return throwOnFailure ? throw new NativeCallException("rn_mmap_shared", -rc) : null;
            }

            mapping = new MappingHandle(address, length);
            bool locked = LockOrThrow(mapping, lockMemory);
            return new DmaRegion(fd, mapping, length, kind, pageSize, (ulong)address, locked);
        }
        catch
        {
            mapping?.Dispose();
            fd.Dispose();
            throw;
        }
    }

    private static bool LockOrThrow(MappingHandle mapping, bool lockMemory)
    {
        if (lockMemory)
        {
            NativeError.Check(NativeMethods.Mlock(mapping.DangerousGetHandle(), (ulong)mapping.Length), "rn_mlock");
        }

        return lockMemory;
    }

    private static long RoundUp(long value, long unit) => checked((value + unit - 1) / unit * unit);

    /// <summary>Owns one mapping and unmaps it exactly once.</summary>
    private sealed class MappingHandle : System.Runtime.InteropServices.SafeHandle
    {
        public MappingHandle(nint address, long length)
            : base(0, ownsHandle: true)
        {
            SetHandle(address);
            Length = length;
        }

        public long Length { get; }

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle() => NativeMethods.Munmap(handle, (ulong)Length) == 0;
    }

    /// <summary>Exposes a window of the region as <see cref="Memory{T}"/> without copying.</summary>
    private sealed class RegionMemoryManager : MemoryManager<byte>
    {
        private readonly DmaRegion _region;
        private readonly long _offset;
        private readonly int _length;

        public RegionMemoryManager(DmaRegion region, int length)
            : this(region, 0, length)
        {
        }

        public RegionMemoryManager(DmaRegion region, long offset, int length)
        {
            _region = region;
            _offset = offset;
            _length = length;
        }

        public override Span<byte> GetSpan() => _region.GetSpan(_offset, _length);

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            if ((uint)elementIndex > (uint)_length)
            {
                throw new ArgumentOutOfRangeException(nameof(elementIndex));
            }

            _region.ThrowIfDisposed();

            // Invariant: native memory never moves; the index was checked against the window.
            return new MemoryHandle(_region.Pointer + _offset + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
