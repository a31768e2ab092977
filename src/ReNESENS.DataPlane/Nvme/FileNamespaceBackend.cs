using Microsoft.Win32.SafeHandles;

namespace ReNESENS.DataPlane.Nvme;

/// <summary>
/// A namespace in a file or block device, through positional I/O. Flush and FUA writes are
/// durable: FUA writes go through a second handle opened with write-through (O_DSYNC), Flush
/// calls fsync. The page cache is used (no O_DIRECT: .NET exposes no portable flag for it, and
/// O_DIRECT needs sector-aligned buffers, which the socket buffers are not).
/// </summary>
internal sealed class FileNamespaceBackend : NamespaceBackend
{
    private const int ZeroChunk = 64 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly SafeFileHandle _writeThrough;
    private readonly FileStream _flushStream;

    public FileNamespaceBackend(string path, long capacity)
    {
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        _writeThrough = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.WriteThrough);
        if (RandomAccess.GetLength(_handle) < capacity)
        {
            RandomAccess.SetLength(_handle, capacity);
        }

        Capacity = capacity;
        _flushStream = new FileStream(_handle, FileAccess.ReadWrite, bufferSize: 0);
    }

    public override long Capacity { get; }

    public override ushort Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int n = RandomAccess.Read(_handle, destination, offset);
            if (n == 0)
            {
                // Past the end of a shorter device or file: reads return zeros.
                destination.Clear();
                return NvmeStatus.Success;
            }

            destination = destination[n..];
            offset += n;
        }

        return NvmeStatus.Success;
    }

    public override ushort Write(long offset, ReadOnlySpan<byte> source, bool forceUnitAccess)
    {
        RandomAccess.Write(forceUnitAccess ? _writeThrough : _handle, source, offset);
        return NvmeStatus.Success;
    }

    public override ushort WriteZeroes(long offset, long length)
    {
        ReadOnlySpan<byte> zeros = new byte[(int)Math.Min(length, ZeroChunk)];
        while (length > 0)
        {
            int n = (int)Math.Min(length, zeros.Length);
            RandomAccess.Write(_handle, zeros[..n], offset);
            offset += n;
            length -= n;
        }

        return NvmeStatus.Success;
    }

    public override void Flush() => _flushStream.Flush(flushToDisk: true);

    public override void Dispose()
    {
        _flushStream.Dispose();
        _writeThrough.Dispose();
        _handle.Dispose();
    }
}
