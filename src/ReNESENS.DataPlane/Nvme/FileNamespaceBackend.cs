using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// A namespace in a file or block device, opened through the native shim. With O_DIRECT (the default where the file
/// system allows it) the page cache is bypassed: the back-end takes whole commands, and a caller's buffer that is
/// not aligned for the device goes through a staging slot carved from a page-aligned <see cref="DmaRegion"/>; an
/// aligned one is read or written in place. FUA writes go through a second descriptor opened with O_DSYNC (each
/// write durable when it returns, the device cache included); Flush is fdatasync. Write Zeroes and Deallocate ask
/// the kernel to zero the range (fallocate ZERO_RANGE or PUNCH_HOLE, BLKZEROOUT) and write zeros only when it cannot.
/// </summary>
internal sealed unsafe class FileNamespaceBackend : NamespaceBackend
{
    /// <summary>Bytes of one staging slot (and of the zero slab): commands larger than this go through in pieces.</summary>
    internal const int SlotSize = 128 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly SafeFileHandle _durable;
    private readonly DmaRegion? _staging;
    private readonly FreeIndexStack? _freeSlots;
    private readonly int _memoryAlignment;
    private readonly long _deviceSize;

    /// <summary>Opens (or creates) the file or device.</summary>
    /// <param name="path">A regular file (created or extended to the capacity) or a block device.</param>
    /// <param name="capacity">Bytes to export; 0 exports the whole device or the file as it is.</param>
    /// <param name="blockSize">The namespace's logical block size: refused when smaller than the device's.</param>
    /// <param name="mode">O_DIRECT or not.</param>
    /// <param name="logger">Says when O_DIRECT is refused and the page cache is used instead.</param>
    public FileNamespaceBackend(string path, long capacity, int blockSize, NvmeDirectIoMode mode, ILogger logger)
    {
        bool direct = mode != NvmeDirectIoMode.Off;
        int rc = NativeFile.TryOpen(path, create: true, direct, dataSync: false, out SafeFileHandle? handle);
        if (rc == -NativeError.EINVAL && mode == NvmeDirectIoMode.Auto)
        {
            NvmeLog.DirectIoRefused(logger, path, "the file system does not support O_DIRECT");
            direct = false;
            rc = NativeFile.TryOpen(path, create: true, direct: false, dataSync: false, out handle);
        }

        if (rc != 0)
        {
            throw new IOException($"Namespace file {path}: open{(direct ? " with O_DIRECT" : string.Empty)} failed: errno {-rc} ({System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(-rc)}).", new NativeCallException("rn_file_open", -rc));
        }

        _handle = handle!;
        try
        {
            NativeFileGeometry geometry = NativeFile.GetGeometry(_handle);
            IsBlockDevice = geometry.IsBlockDevice != 0;
            DeviceBlockSize = IsBlockDevice ? (int)geometry.LogicalBlockSize : (int)geometry.DirectOffsetAlignment;
            if (IsBlockDevice && geometry.LogicalBlockSize > blockSize)
            {
                throw new ArgumentException($"Block device {path} has {geometry.LogicalBlockSize}-byte logical blocks: a namespace on it needs a block size of at least that, not {blockSize}.");
            }

            if (direct && !IsBlockDevice && geometry.DirectOffsetAlignment > blockSize)
            {
                if (mode == NvmeDirectIoMode.Required)
                {
                    throw new ArgumentException($"Namespace file {path}: O_DIRECT there needs {geometry.DirectOffsetAlignment}-byte aligned I/O, larger than the block size {blockSize}.");
                }

                NvmeLog.DirectIoRefused(logger, path, $"O_DIRECT needs {geometry.DirectOffsetAlignment}-byte aligned I/O, larger than the block size {blockSize}");
                _handle.Dispose();
                direct = false;
                NativeError.Check(NativeFile.TryOpen(path, create: false, direct: false, dataSync: false, out handle), "rn_file_open");
                _handle = handle!;
            }

            _capacity = ResolveCapacity(path, capacity, blockSize, geometry);
            _deviceSize = (long)geometry.Size;
            ExtendFile(_capacity);
            NativeError.Check(NativeFile.TryOpen(path, create: false, direct, dataSync: true, out SafeFileHandle? durable), "rn_file_open");
            _durable = durable!;
            IsDirect = direct;
            _memoryAlignment = (int)Math.Max(geometry.DirectMemoryAlignment, 512);
            if (direct)
            {
                // One slot per thread that may be inside the back-end at once (connection loops run on the thread
                // pool), one more for the zero slab; the slots fault in on first use.
                int slots = Math.Clamp(Environment.ProcessorCount * 2, 4, 64);
                _staging = DmaRegion.Create((long)(slots + 1) * SlotSize, PageKind.Small, lockMemory: false, name: "renesens-nvme-odirect");
                _freeSlots = new FreeIndexStack(slots);
            }
        }
        catch
        {
            _durable?.Dispose();
            _handle.Dispose();
            _staging?.Dispose();
            throw;
        }
    }

    private long _capacity;

    public override long Capacity => Volatile.Read(ref _capacity);

    /// <summary>True when the page cache is bypassed (O_DIRECT).</summary>
    public bool IsDirect { get; }

    /// <summary>True for a block device.</summary>
    public bool IsBlockDevice { get; }

    /// <summary>The device's logical block size (BLKSSZGET), or for a file the O_DIRECT alignment; 0 when unknown.</summary>
    public int DeviceBlockSize { get; }

    /// <summary>The descriptor of ordinary I/O (tests read its open flags in /proc/self/fdinfo).</summary>
    internal SafeFileHandle Handle => _handle;

    /// <summary>The O_DSYNC descriptor of FUA writes.</summary>
    internal SafeFileHandle DurableHandle => _durable;

    /// <summary>Commands that went through a staging slot because the caller's buffer was not aligned.</summary>
    internal long StagedCommands;

    /// <summary>Times a caller waited because every staging slot was in use.</summary>
    internal long StagingWaits;

    /// <summary>O_DIRECT needs whole, block-aligned commands: the target then gives each Read and Write as one buffer.</summary>
    public override bool NeedsWholeCommands => IsDirect;

    public override ushort Read(long offset, Span<byte> destination)
    {
        try
        {
            // Invariant: inside fixed the caller's memory is pinned, so an address found aligned stays so for the read.
            fixed (byte* p = destination)
            {
                if (!IsDirect || IsAligned(p))
                {
                    ReadExactly(_handle, destination, offset);
                    return NvmeStatus.Success;
                }
            }

            int slot = RentSlot();
            try
            {
                Span<byte> staging = _staging!.GetSpan((long)slot * SlotSize, SlotSize);
                while (!destination.IsEmpty)
                {
                    int n = Math.Min(destination.Length, SlotSize);
                    ReadExactly(_handle, staging[..n], offset);
                    staging[..n].CopyTo(destination);
                    destination = destination[n..];
                    offset += n;
                }
            }
            finally
            {
                _freeSlots!.PushOne(slot);
            }

            return NvmeStatus.Success;
        }
        catch (IOException)
        {
            NvmeMetrics.MediaErrors.Add(1);
            return NvmeStatus.UnrecoveredReadError;
        }
    }

    public override ushort Write(long offset, ReadOnlySpan<byte> source, bool forceUnitAccess)
    {
        SafeFileHandle handle = forceUnitAccess ? _durable : _handle;
        try
        {
            // Invariant: as in Read, the pinned address stays aligned for the write.
            fixed (byte* p = source)
            {
                if (!IsDirect || IsAligned(p))
                {
                    RandomAccess.Write(handle, source, offset);
                    return NvmeStatus.Success;
                }
            }

            int slot = RentSlot();
            try
            {
                Span<byte> staging = _staging!.GetSpan((long)slot * SlotSize, SlotSize);
                while (!source.IsEmpty)
                {
                    int n = Math.Min(source.Length, SlotSize);
                    source[..n].CopyTo(staging);
                    RandomAccess.Write(handle, staging[..n], offset);
                    source = source[n..];
                    offset += n;
                }
            }
            finally
            {
                _freeSlots!.PushOne(slot);
            }

            return NvmeStatus.Success;
        }
        catch (IOException)
        {
            NvmeMetrics.MediaErrors.Add(1);
            return NvmeStatus.WriteFault;
        }
    }

    public override ushort WriteZeroes(long offset, long length)
    {
        try
        {
            if (NativeFile.TryZeroRange(_handle, offset, length))
            {
                return NvmeStatus.Success;
            }

            // Neither the device nor the file system zeroes ranges: write zeros, from the zero slab in direct mode
            // (it is aligned and never written), from a pinned zero array otherwise.
            ReadOnlySpan<byte> zeros = IsDirect ? _staging!.GetSpan((_staging.Length / SlotSize - 1) * SlotSize, SlotSize) : ZeroBlock.Value;
            while (length > 0)
            {
                int n = (int)Math.Min(length, zeros.Length);
                RandomAccess.Write(_handle, zeros[..n], offset);
                offset += n;
                length -= n;
            }

            return NvmeStatus.Success;
        }
        catch (IOException)
        {
            NvmeMetrics.MediaErrors.Add(1);
            return NvmeStatus.WriteFault;
        }
    }

    public override void Flush() => NativeFile.DataSync(_handle);

    /// <summary>A file grows (the new tail reads as zeros) or is truncated; a block device exports up to its whole size, its blocks as they are.</summary>
    public override void Resize(long capacity)
    {
        if (IsBlockDevice)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, _deviceSize);
        }
        else
        {
            RandomAccess.SetLength(_handle, capacity);
        }

        Volatile.Write(ref _capacity, capacity);
    }

    public override void Dispose()
    {
        _durable.Dispose();
        _handle.Dispose();
        _staging?.Dispose();
    }

    private static long ResolveCapacity(string path, long capacity, int blockSize, in NativeFileGeometry geometry)
    {
        long size = (long)geometry.Size;
        if (capacity == 0)
        {
            if (size < blockSize)
            {
                throw new ArgumentException($"Namespace file {path} is empty: give the namespace a size.");
            }

            return size - (size % blockSize);
        }

        if (geometry.IsBlockDevice != 0)
        {
            if (capacity > size)
            {
                throw new ArgumentException($"Block device {path} holds {size} bytes, less than the namespace size {capacity}.");
            }

            return capacity;
        }

        return capacity;
    }

    private void ExtendFile(long capacity)
    {
        if (!IsBlockDevice && RandomAccess.GetLength(_handle) < capacity)
        {
            RandomAccess.SetLength(_handle, capacity);
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(handle, destination, offset);
            if (n == 0)
            {
                // Past the end of a file that someone else shortened: those blocks read as zeros.
                destination.Clear();
                return;
            }

            destination = destination[n..];
            offset += n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAligned(byte* address) => ((nuint)address & (nuint)(_memoryAlignment - 1)) == 0;

    /// <summary>A free staging slot; waits (counted) when every slot is in use, each holder keeping one for one system call.</summary>
    private int RentSlot()
    {
        int slot = _freeSlots!.TryPopOne();
        if (slot != FreeIndexStack.End)
        {
            Interlocked.Increment(ref StagedCommands);
            return slot;
        }

        Interlocked.Increment(ref StagingWaits);
        NvmeMetrics.StagingWaits.Add(1);
        var spin = default(SpinWait);
        while ((slot = _freeSlots.TryPopOne()) == FreeIndexStack.End)
        {
            spin.SpinOnce(sleep1Threshold: 20);
        }

        Interlocked.Increment(ref StagedCommands);
        return slot;
    }

    /// <summary>Zeros for buffered Write Zeroes when the kernel cannot zero a range; allocated once, on first need.</summary>
    private static class ZeroBlock
    {
        public static readonly byte[] Value = new byte[SlotSize];
    }
}
