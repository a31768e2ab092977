using System.Runtime.InteropServices;

namespace ReNESENS.DataPlane.Interop;

/// <summary>
/// Every entry point of librenesens_native. Each returns 0 or a count on success and a
/// negative errno on failure (see include/renesens_native.h); nothing here reads errno.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "renesens_native";

    internal const int PageSmall = 0;
    internal const int PageHuge = 1;
    internal const int EventFdNonBlock = 1;
    internal const int EventFdSemaphore = 2;
    internal const int EpollAdd = 1;
    internal const int EpollDelete = 2;
    internal const int TapVnetHeader = 1;
    internal const int TapMultiQueue = 2;
    internal const int MaxFds = 16;
    internal const int InterfaceNameSize = 16;
    internal const int FileCreate = 1;
    internal const int FileDirect = 2;
    internal const int FileDataSync = 4;

    [LibraryImport(Library, EntryPoint = "rn_version")]
    internal static partial int Version();

    [LibraryImport(Library, EntryPoint = "rn_memfd_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, ulong size, int kind, out int fd);

    [LibraryImport(Library, EntryPoint = "rn_fd_size")]
    internal static partial int FdSize(int fd, out ulong size);

    [LibraryImport(Library, EntryPoint = "rn_mmap_shared")]
    internal static partial int MmapShared(int fd, ulong size, ulong offset, out nint address);

    [LibraryImport(Library, EntryPoint = "rn_munmap")]
    internal static partial int Munmap(nint address, ulong size);

    [LibraryImport(Library, EntryPoint = "rn_mlock")]
    internal static partial int Mlock(nint address, ulong size);

    [LibraryImport(Library, EntryPoint = "rn_hugepage_info")]
    internal static partial int HugePageInfo(out ulong pageSize, out ulong freePages);

    [LibraryImport(Library, EntryPoint = "rn_dup")]
    internal static partial int Dup(int fd, out int newFd);

    [LibraryImport(Library, EntryPoint = "rn_close")]
    internal static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "rn_eventfd_create")]
    internal static partial int EventFdCreate(uint initial, int flags, out int fd);

    [LibraryImport(Library, EntryPoint = "rn_eventfd_write")]
    internal static partial int EventFdWrite(int fd, ulong value);

    [LibraryImport(Library, EntryPoint = "rn_eventfd_read")]
    internal static partial int EventFdRead(int fd, out ulong value);

    [LibraryImport(Library, EntryPoint = "rn_eventfd_try_read")]
    internal static partial int EventFdTryRead(int fd, out ulong value);

    [LibraryImport(Library, EntryPoint = "rn_epoll_create")]
    internal static partial int EpollCreate(out int fd);

    [LibraryImport(Library, EntryPoint = "rn_epoll_ctl")]
    internal static partial int EpollControl(int epfd, int op, int fd);

    [LibraryImport(Library, EntryPoint = "rn_socketpair")]
    internal static partial int SocketPair(int* fds);

    [LibraryImport(Library, EntryPoint = "rn_unix_send")]
    internal static partial long UnixSend(int socket, byte* buffer, ulong length, int* fds, int fdCount);

    [LibraryImport(Library, EntryPoint = "rn_unix_recv")]
    internal static partial long UnixReceive(int socket, byte* buffer, ulong length, int* fds, int maxFds, out int fdCount);

    [LibraryImport(Library, EntryPoint = "rn_tap_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TapOpen(string name, int flags, byte* actualName, out int fd);

    [LibraryImport(Library, EntryPoint = "rn_tap_set_offload")]
    internal static partial int TapSetOffload(int fd, uint offloads);

    [LibraryImport(Library, EntryPoint = "rn_tap_set_vnet_hdr_size")]
    internal static partial int TapSetVnetHeaderSize(int fd, int size);

    [LibraryImport(Library, EntryPoint = "rn_tap_read_burst")]
    internal static partial int TapReadBurst(int fd, byte** buffers, uint* capacities, uint* lengths, int count);

    [LibraryImport(Library, EntryPoint = "rn_tap_write_burst")]
    internal static partial int TapWriteBurst(int fd, IoVector* iov, int* iovCounts, int count, int* results);

    [LibraryImport(Library, EntryPoint = "rn_poll_readable")]
    internal static partial int PollReadable(int* fds, int count, int timeoutMs, byte* ready);

    [LibraryImport(Library, EntryPoint = "rn_socket_sendv")]
    internal static partial long SocketSendGather(int socket, IoVector* iov, int count);

    [LibraryImport(Library, EntryPoint = "rn_socket_recv_nowait")]
    internal static partial long SocketReceiveNoWait(int socket, byte* buffer, ulong length);

    [LibraryImport(Library, EntryPoint = "rn_pci_probe", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int PciProbe(string sysfsRoot, ushort vendor, PciDeviceRecord* devices, int max);

    [LibraryImport(Library, EntryPoint = "rn_dlopen", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int DlOpen(string name, out nint handle, byte* error, int errorLength);

    [LibraryImport(Library, EntryPoint = "rn_dlsym", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int DlSym(nint handle, string symbol, out nint address, byte* error, int errorLength);

    [LibraryImport(Library, EntryPoint = "rn_dlclose")]
    internal static partial int DlClose(nint handle);

    [LibraryImport(Library, EntryPoint = "rn_file_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int FileOpen(string path, int flags, out int fd);

    [LibraryImport(Library, EntryPoint = "rn_file_geometry_get")]
    internal static partial int FileGeometryGet(int fd, out NativeFileGeometry geometry);

    [LibraryImport(Library, EntryPoint = "rn_fdatasync")]
    internal static partial int FileDataSyncCall(int fd);

    [LibraryImport(Library, EntryPoint = "rn_zero_range")]
    internal static partial int ZeroRange(int fd, ulong offset, ulong length);
}
