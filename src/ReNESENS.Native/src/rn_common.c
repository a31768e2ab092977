#include "renesens_native.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

_Static_assert(sizeof(rn_pci_device) == 40, "rn_pci_device layout is mirrored in Interop/NativeMethods.cs");
_Static_assert(offsetof(rn_pci_device, vendor) == 32, "rn_pci_device.vendor offset");
_Static_assert(offsetof(rn_pci_device, device) == 34, "rn_pci_device.device offset");
_Static_assert(offsetof(rn_pci_device, class_code) == 36, "rn_pci_device.class_code offset");

int32_t rn_version(void)
{
    return (RN_VERSION_MAJOR << 16) | (RN_VERSION_MINOR << 8) | RN_VERSION_PATCH;
}

int32_t rn_close(int32_t fd)
{
    if (fd < 0)
        return -EBADF;
    /* Linux releases the descriptor even when close reports EINTR: never retry. */
    if (close(fd) != 0 && errno != EINTR)
        return -errno;
    return 0;
}

int32_t rn_dup(int32_t fd, int32_t *out_fd)
{
    int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r < 0)
        return -errno;
    *out_fd = r;
    return 0;
}
