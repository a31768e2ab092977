#include "renesens_native.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

int32_t rn_tap_open(const char *name, int32_t flags, char *out_name, int32_t *out_fd)
{
    if (name == NULL || out_name == NULL || out_fd == NULL || strlen(name) >= IFNAMSIZ)
        return -EINVAL;
    if ((flags & ~(RN_TAP_VNET_HDR | RN_TAP_MULTI_QUEUE)) != 0)
        return -EINVAL;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (flags & RN_TAP_VNET_HDR)
        ifr.ifr_flags |= IFF_VNET_HDR;
    if (flags & RN_TAP_MULTI_QUEUE)
        ifr.ifr_flags |= IFF_MULTI_QUEUE;
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    memcpy(out_name, ifr.ifr_name, IFNAMSIZ);
    out_name[IFNAMSIZ - 1] = '\0';
    *out_fd = fd;
    return 0;
}

int32_t rn_tap_set_offload(int32_t fd, uint32_t offloads)
{
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) != 0)
        return -errno;
    return 0;
}

int32_t rn_tap_set_vnet_hdr_size(int32_t fd, int32_t size)
{
    int s = size;
    if (ioctl(fd, TUNSETVNETHDRSZ, &s) != 0)
        return -errno;
    return 0;
}

_Static_assert(sizeof(rn_iovec) == sizeof(struct iovec), "rn_iovec mirrors struct iovec");
_Static_assert(offsetof(rn_iovec, base) == offsetof(struct iovec, iov_base), "iov_base offset");
_Static_assert(offsetof(rn_iovec, length) == offsetof(struct iovec, iov_len), "iov_len offset");

int32_t rn_tap_read_burst(int32_t fd, uint8_t *const *buffers, const uint32_t *capacities,
                          uint32_t *lengths, int32_t count)
{
    if (buffers == NULL || capacities == NULL || lengths == NULL || count < 0)
        return -EINVAL;
    int32_t n = 0;
    while (n < count) {
        ssize_t r = read(fd, buffers[n], capacities[n]);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (n > 0 || errno == EAGAIN)
                break;
            return -errno;
        }
        lengths[n++] = (uint32_t)r;
    }
    return n;
}

int32_t rn_tap_write_burst(int32_t fd, const rn_iovec *iov, const int32_t *iov_counts,
                           int32_t count, int32_t *results)
{
    if (iov == NULL || iov_counts == NULL || results == NULL || count < 0)
        return -EINVAL;
    const struct iovec *next = (const struct iovec *)iov;
    int32_t n = 0;
    while (n < count) {
        if (iov_counts[n] <= 0 || iov_counts[n] > IOV_MAX)
            return -EINVAL;
        ssize_t w = writev(fd, next, iov_counts[n]);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == ENOBUFS)
                break;
            results[n] = -errno;
        } else {
            results[n] = (int32_t)w;
        }
        next += iov_counts[n];
        n++;
    }
    return n;
}

int32_t rn_poll_readable(const int32_t *fds, int32_t count, int32_t timeout_ms, uint8_t *ready)
{
    enum { max_fds = 256 };
    if (fds == NULL || ready == NULL || count < 0 || count > max_fds)
        return -EINVAL;
    struct pollfd p[max_fds];
    for (int32_t i = 0; i < count; i++) {
        p[i].fd = fds[i];
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    int r = poll(p, (nfds_t)count, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    for (int32_t i = 0; i < count; i++)
        ready[i] = (p[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    return r;
}
