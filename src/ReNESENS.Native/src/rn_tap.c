#include "renesens_native.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
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
