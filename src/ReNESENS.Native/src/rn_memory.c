#include "renesens_native.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int32_t rn_memfd_create(const char *name, uint64_t size, int32_t kind, int32_t *out_fd)
{
    if (name == NULL || out_fd == NULL || size == 0)
        return -EINVAL;
    unsigned int flags = MFD_CLOEXEC;
    if (kind == RN_PAGE_HUGE)
        flags |= MFD_HUGETLB;
    else if (kind != RN_PAGE_SMALL)
        return -EINVAL;
    int fd = memfd_create(name, flags);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *out_fd = fd;
    return 0;
}

int32_t rn_fd_size(int32_t fd, uint64_t *out_size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    *out_size = (uint64_t)st.st_size;
    return 0;
}

int32_t rn_mmap_shared(int32_t fd, uint64_t size, uint64_t offset, void **out_addr)
{
    if (out_addr == NULL || size == 0)
        return -EINVAL;
    /* MAP_POPULATE faults every page in now: a hugetlb file without free pages fails here
       (ENOMEM) rather than with SIGBUS on first touch in the data path. */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, (off_t)offset);
    if (p == MAP_FAILED)
        return -errno;
    *out_addr = p;
    return 0;
}

int32_t rn_munmap(void *addr, uint64_t size)
{
    if (munmap(addr, size) != 0)
        return -errno;
    return 0;
}

int32_t rn_mlock(void *addr, uint64_t size)
{
    if (mlock(addr, size) != 0)
        return -errno;
    return 0;
}

int32_t rn_hugepage_info(uint64_t *out_page_size, uint64_t *out_free_pages)
{
    *out_page_size = 0;
    *out_free_pages = 0;
    FILE *f = fopen("/proc/meminfo", "re");
    if (f == NULL)
        return -errno;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long v;
        if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
            *out_page_size = (uint64_t)v * 1024u;
        else if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
            *out_free_pages = (uint64_t)v;
    }
    fclose(f);
    return 0;
}
