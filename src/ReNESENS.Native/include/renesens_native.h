/*
 * renesens_native.h - the small C shim under ReNESENS.DataPlane.
 *
 * It does only what .NET cannot do itself: memfd/hugetlb mappings and mlock, eventfd,
 * SCM_RIGHTS, TAP ioctls, the PCI probe, dlopen, O_DIRECT files with their block-device
 * geometry (BLKSSZGET, BLKGETSIZE64), and stream-socket sendmsg/recv on native memory (a
 * gathering write from several buffers, a receive that never blocks). Every function returns 0 (or a
 * non-negative count) on success and a negative errno value on failure; it never sets
 * or relies on the caller reading errno.
 */
#ifndef RENESENS_NATIVE_H
#define RENESENS_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#define RN_EXPORT __attribute__((visibility("default")))

/* Version of this shim: (major << 16) | (minor << 8) | patch. */
RN_EXPORT int32_t rn_version(void);

/* ---- memory ---------------------------------------------------------------------------- */

/* Page kinds for rn_memfd_create. */
#define RN_PAGE_SMALL 0 /* 4 KiB pages */
#define RN_PAGE_HUGE 1  /* hugetlbfs pages of the default huge page size */

/* Creates an anonymous memory file of `size` bytes (a multiple of the page size of `kind`). */
RN_EXPORT int32_t rn_memfd_create(const char *name, uint64_t size, int32_t kind, int32_t *out_fd);
/* Size of the file behind `fd`. */
RN_EXPORT int32_t rn_fd_size(int32_t fd, uint64_t *out_size);
/* Maps `size` bytes of `fd` from `offset`, shared, read-write. */
RN_EXPORT int32_t rn_mmap_shared(int32_t fd, uint64_t size, uint64_t offset, void **out_addr);
RN_EXPORT int32_t rn_munmap(void *addr, uint64_t size);
RN_EXPORT int32_t rn_mlock(void *addr, uint64_t size);
/* Default huge page size and free huge pages, from /proc/meminfo (0 when the host has none). */
RN_EXPORT int32_t rn_hugepage_info(uint64_t *out_page_size, uint64_t *out_free_pages);
/* Duplicates a file descriptor (close-on-exec). */
RN_EXPORT int32_t rn_dup(int32_t fd, int32_t *out_fd);
RN_EXPORT int32_t rn_close(int32_t fd);

/* ---- eventfd --------------------------------------------------------------------------- */

#define RN_EVENTFD_NONBLOCK 1
#define RN_EVENTFD_SEMAPHORE 2
RN_EXPORT int32_t rn_eventfd_create(uint32_t initial, int32_t flags, int32_t *out_fd);
RN_EXPORT int32_t rn_eventfd_write(int32_t fd, uint64_t value);
/* Reads and resets the counter; -EAGAIN when it is zero on a non-blocking eventfd. */
RN_EXPORT int32_t rn_eventfd_read(int32_t fd, uint64_t *out_value);
/* Reads and resets the counter only if it is not zero (-EAGAIN otherwise), whatever the descriptor's
 * O_NONBLOCK: for eventfds received from another process, whose file status flags we leave alone. */
RN_EXPORT int32_t rn_eventfd_try_read(int32_t fd, uint64_t *out_value);

/* ---- epoll ------------------------------------------------------------------------------- */

#define RN_EPOLL_ADD 1
#define RN_EPOLL_DEL 2
/* An epoll instance (close-on-exec): readable (poll(2)) while any descriptor in its set is readable. */
RN_EXPORT int32_t rn_epoll_create(int32_t *out_fd);
/* Adds (RN_EPOLL_ADD, for readability) or removes (RN_EPOLL_DEL) fd in the set of epfd. */
RN_EXPORT int32_t rn_epoll_ctl(int32_t epfd, int32_t op, int32_t fd);

/* ---- unix sockets with file descriptors ---------------------------------------------------- */

/* Upper bound of descriptors carried by one message (vhost-user carries at most 8). */
#define RN_MAX_FDS 16

RN_EXPORT int32_t rn_socketpair(int32_t *out_fds /* [2] */);
/* Sends `len` bytes and `nfds` descriptors in one message; returns bytes sent or -errno. */
RN_EXPORT int64_t rn_unix_send(int32_t sock, const void *buf, uint64_t len, const int32_t *fds, int32_t nfds);
/*
 * Receives one message of up to `len` bytes and up to `max_fds` descriptors. Descriptors
 * beyond `max_fds`, or any that arrive with a truncated control message, are closed here
 * and the call returns -EMSGSIZE: a peer can never make us hold descriptors we did not ask
 * for. Returns bytes received (0 on orderly shutdown) or -errno.
 */
RN_EXPORT int64_t rn_unix_recv(int32_t sock, void *buf, uint64_t len, int32_t *fds, int32_t max_fds, int32_t *out_nfds);

/* ---- TAP ------------------------------------------------------------------------------- */

#define RN_TAP_VNET_HDR 1
#define RN_TAP_MULTI_QUEUE 2
/*
 * Opens /dev/net/tun as IFF_TAP | IFF_NO_PI (| IFF_VNET_HDR | IFF_MULTI_QUEUE). `name` may be
 * empty for a kernel-chosen name; the actual name is written to `out_name` (16 bytes).
 */
RN_EXPORT int32_t rn_tap_open(const char *name, int32_t flags, char *out_name, int32_t *out_fd);
/* TUNSETOFFLOAD with TUN_F_* bits. */
RN_EXPORT int32_t rn_tap_set_offload(int32_t fd, uint32_t offloads);
/* TUNSETVNETHDRSZ. */
RN_EXPORT int32_t rn_tap_set_vnet_hdr_size(int32_t fd, int32_t size);

/* One gather element of rn_tap_write_burst: the layout of struct iovec on LP64. */
typedef struct rn_iovec {
    void *base;
    uint64_t length;
} rn_iovec;

/*
 * Reads up to `count` frames from a non-blocking TAP descriptor, one read() each, frame i into
 * buffers[i] (capacities[i] bytes), its length into lengths[i]. Stops at the first EAGAIN.
 * Returns the number of frames read (0 when none waits), or -errno when the first read fails.
 */
RN_EXPORT int32_t rn_tap_read_burst(int32_t fd, uint8_t *const *buffers, const uint32_t *capacities,
                                    uint32_t *lengths, int32_t count);
/*
 * Writes up to `count` frames to a non-blocking TAP descriptor, one writev() each: frame i is
 * the next iov_counts[i] elements of `iov`. results[i] receives the bytes written, or -errno when
 * the kernel refused the frame (any error but EAGAIN, ENOBUFS or EINTR): a refused frame is
 * consumed too. Stops at the first EAGAIN/ENOBUFS. Returns the number of frames consumed.
 */
RN_EXPORT int32_t rn_tap_write_burst(int32_t fd, const rn_iovec *iov, const int32_t *iov_counts,
                                     int32_t count, int32_t *results);
/*
 * poll() for readability on `count` descriptors for at most timeout_ms (-1: no limit);
 * ready[i] is set to 1 for each readable (or hung-up) one, else 0. Returns how many are
 * ready (0 on timeout or EINTR), or -errno.
 */
RN_EXPORT int32_t rn_poll_readable(const int32_t *fds, int32_t count, int32_t timeout_ms, uint8_t *ready);

/* ---- stream sockets -------------------------------------------------------------------- */

/*
 * One sendmsg() of the `count` (1..IOV_MAX) gather elements of `iov` (rn_iovec, above) on a
 * connected stream socket, without SIGPIPE; retried on EINTR. Returns the bytes the kernel took
 * (possibly fewer than asked: the caller sends the rest) or -errno. No MSG_ZEROCOPY: the kernel
 * has copied those bytes when it returns, so the memory may be reused or unmapped at once.
 */
RN_EXPORT int64_t rn_socket_sendv(int32_t sock, const rn_iovec *iov, int32_t count);
/*
 * One recv() of at most `len` (> 0) bytes with MSG_DONTWAIT, retried on EINTR: bytes received,
 * 0 at end of stream, -EAGAIN when none are waiting, or another -errno.
 */
RN_EXPORT int64_t rn_socket_recv_nowait(int32_t sock, void *buf, uint64_t len);

/* ---- PCI probe ------------------------------------------------------------------------- */

typedef struct rn_pci_device {
    char address[32]; /* domain:bus:device.function, e.g. 0000:3b:00.0 */
    uint16_t vendor;
    uint16_t device;
    uint32_t class_code;
} rn_pci_device;

/*
 * Lists devices under <sysfs_root>/bus/pci/devices whose vendor file equals `vendor`.
 * Writes up to `max` entries, sorted by address; returns the number of matching devices
 * (which may exceed `max`), 0 when the folder is missing, or -errno.
 */
RN_EXPORT int32_t rn_pci_probe(const char *sysfs_root, uint16_t vendor, rn_pci_device *out, int32_t max);

/* ---- files and block devices ------------------------------------------------------------ */

#define RN_FILE_CREATE 1 /* O_CREAT (mode 0644) */
#define RN_FILE_DIRECT 2 /* O_DIRECT: no page cache; aligned buffers, offsets and lengths */
#define RN_FILE_DSYNC 4  /* O_DSYNC: each write is durable when it returns */

/* Opens `path` read-write, close-on-exec, with RN_FILE_* flags. -EINVAL when the file system refuses O_DIRECT (tmpfs). */
RN_EXPORT int32_t rn_file_open(const char *path, int32_t flags, int32_t *out_fd);

typedef struct rn_file_geometry {
    uint64_t size;               /* bytes: BLKGETSIZE64 for a block device, st_size for a file */
    uint32_t logical_block_size; /* BLKSSZGET for a block device; 0 for a file */
    uint32_t dio_mem_align;      /* O_DIRECT buffer alignment (statx STATX_DIOALIGN for a file); 0 when unknown */
    uint32_t dio_offset_align;   /* O_DIRECT offset and length alignment; 0 when unknown or unsupported */
    int32_t is_block_device;
} rn_file_geometry;

/* Size and alignment rules of a regular file or block device; -ENOTSUP for anything else. */
RN_EXPORT int32_t rn_file_geometry_get(int32_t fd, rn_file_geometry *out);
RN_EXPORT int32_t rn_fdatasync(int32_t fd);
/*
 * Makes [offset, offset + length) read as zeros without writing them: BLKZEROOUT on a block
 * device, fallocate ZERO_RANGE (else PUNCH_HOLE) on a file. -EOPNOTSUPP when neither works.
 */
RN_EXPORT int32_t rn_zero_range(int32_t fd, uint64_t offset, uint64_t length);

/* ---- dynamic loading ------------------------------------------------------------------- */

/* dlopen(RTLD_NOW | RTLD_LOCAL); on failure copies dlerror() into `err` and returns -ENOENT. */
RN_EXPORT int32_t rn_dlopen(const char *name, void **out_handle, char *err, int32_t err_len);
RN_EXPORT int32_t rn_dlsym(void *handle, const char *symbol, void **out_addr, char *err, int32_t err_len);
RN_EXPORT int32_t rn_dlclose(void *handle);

#endif
