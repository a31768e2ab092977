#include "renesens_native.h"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
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

int32_t rn_eventfd_try_read(int32_t fd, uint64_t *out_value)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    for (;;) {
        int r = poll(&p, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0 || (p.revents & POLLIN) == 0)
            return (p.revents & (POLLERR | POLLNVAL)) != 0 ? -EBADF : -EAGAIN;
        break;
    }

    /* Readable: the counter is not zero, and we are its only reader, so this read does not block. */
    return rn_eventfd_read(fd, out_value);
}

int32_t rn_epoll_create(int32_t *out_fd)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return -errno;
    *out_fd = fd;
    return 0;
}

int32_t rn_epoll_ctl(int32_t epfd, int32_t op, int32_t fd)
{
    struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };
    int r;
    if (op == RN_EPOLL_ADD)
        r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
    else if (op == RN_EPOLL_DEL)
        r = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    else
        return -EINVAL;
    return r < 0 ? -errno : 0;
}
