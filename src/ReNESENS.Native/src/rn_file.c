#include "renesens_native.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(rn_file_geometry) == 24, "rn_file_geometry layout is mirrored in Interop/NativeFileGeometry.cs");
_Static_assert(offsetof(rn_file_geometry, size) == 0, "rn_file_geometry.size offset");
_Static_assert(offsetof(rn_file_geometry, logical_block_size) == 8, "rn_file_geometry.logical_block_size offset");
_Static_assert(offsetof(rn_file_geometry, dio_mem_align) == 12, "rn_file_geometry.dio_mem_align offset");
_Static_assert(offsetof(rn_file_geometry, dio_offset_align) == 16, "rn_file_geometry.dio_offset_align offset");
_Static_assert(offsetof(rn_file_geometry, is_block_device) == 20, "rn_file_geometry.is_block_device offset");

int32_t rn_file_open(const char *path, int32_t flags, int32_t *out_fd)
{
    if (path == NULL || out_fd == NULL || (flags & ~(RN_FILE_CREATE | RN_FILE_DIRECT | RN_FILE_DSYNC)) != 0)
        return -EINVAL;
    int f = O_RDWR | O_CLOEXEC;
    if (flags & RN_FILE_CREATE)
        f |= O_CREAT;
    if (flags & RN_FILE_DIRECT)
        f |= O_DIRECT;
    if (flags & RN_FILE_DSYNC)
        f |= O_DSYNC;
    int fd;
    do {
        fd = open(path, f, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    *out_fd = fd;
    return 0;
}

int32_t rn_file_geometry_get(int32_t fd, rn_file_geometry *out)
{
    if (out == NULL)
        return -EINVAL;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    out->size = 0;
    out->logical_block_size = 0;
    out->dio_mem_align = 0;
    out->dio_offset_align = 0;
    out->is_block_device = S_ISBLK(st.st_mode) ? 1 : 0;
    if (out->is_block_device) {
        uint64_t size;
        int lbs;
        if (ioctl(fd, BLKGETSIZE64, &size) != 0 || ioctl(fd, BLKSSZGET, &lbs) != 0)
            return -errno;
        out->size = size;
        out->logical_block_size = (uint32_t)lbs;
        /* O_DIRECT on a block device: buffers, offsets and lengths aligned to the logical block size. */
        out->dio_mem_align = (uint32_t)lbs;
        out->dio_offset_align = (uint32_t)lbs;
        return 0;
    }
    if (!S_ISREG(st.st_mode))
        return -ENOTSUP;
    out->size = (uint64_t)st.st_size;
#ifdef STATX_DIOALIGN
    /* Linux 6.1+: the file system says what O_DIRECT needs (0 when it does not support it). */
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 && (stx.stx_mask & STATX_DIOALIGN)) {
        out->dio_mem_align = stx.stx_dio_mem_align;
        out->dio_offset_align = stx.stx_dio_offset_align;
    }
#endif
    return 0;
}

int32_t rn_fdatasync(int32_t fd)
{
    int r;
    do {
        r = fdatasync(fd);
    } while (r != 0 && errno == EINTR);
    return r == 0 ? 0 : -errno;
}

int32_t rn_zero_range(int32_t fd, uint64_t offset, uint64_t length)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    if (S_ISBLK(st.st_mode)) {
        uint64_t range[2] = { offset, length };
        return ioctl(fd, BLKZEROOUT, range) == 0 ? 0 : -errno;
    }
    if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length) == 0)
        return 0;
    if (errno != EOPNOTSUPP)
        return -errno;
    /* tmpfs and others: punching a hole frees the blocks, which then read as zeros. */
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length) == 0)
        return 0;
    return -errno;
}
