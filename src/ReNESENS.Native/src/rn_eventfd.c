#include "renesens_native.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

int32_t rn_eventfd_create(uint32_t initial, int32_t flags, int32_t *out_fd)
{
    if ((flags & ~(RN_EVENTFD_NONBLOCK | RN_EVENTFD_SEMAPHORE)) != 0)
        return -EINVAL;
    int f = EFD_CLOEXEC;
    if (flags & RN_EVENTFD_NONBLOCK)
        f |= EFD_NONBLOCK;
    if (flags & RN_EVENTFD_SEMAPHORE)
        f |= EFD_SEMAPHORE;
    int fd = eventfd(initial, f);
    if (fd < 0)
        return -errno;
    *out_fd = fd;
    return 0;
}

int32_t rn_eventfd_write(int32_t fd, uint64_t value)
{
    for (;;) {
        ssize_t r = write(fd, &value, sizeof value);
        if (r == (ssize_t)sizeof value)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -errno : -EIO;
    }
}

int32_t rn_eventfd_read(int32_t fd, uint64_t *out_value)
{
    for (;;) {
        ssize_t r = read(fd, out_value, sizeof *out_value);
        if (r == (ssize_t)sizeof *out_value)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 ? -errno : -EIO;
    }
}
