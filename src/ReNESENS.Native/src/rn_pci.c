#include "renesens_native.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a sysfs attribute such as "0x1d26\n" as an unsigned number; -1 when absent or bad. */
static long long read_hex_attr(const char *dir, const char *dev, const char *attr)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s/%s", dir, dev, attr);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    char text[64];
    char *ok = fgets(text, sizeof text, f);
    fclose(f);
    if (ok == NULL)
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 16);
    if (errno != 0 || end == text || (*end != '\n' && *end != '\0') || v > 0xffffffffull)
        return -1;
    return (long long)v;
}

static int by_address(const void *a, const void *b)
{
    return strcmp(((const rn_pci_device *)a)->address, ((const rn_pci_device *)b)->address);
}

int32_t rn_pci_probe(const char *sysfs_root, uint16_t vendor, rn_pci_device *out, int32_t max)
{
    if (sysfs_root == NULL || max < 0 || (max > 0 && out == NULL))
        return -EINVAL;
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s/bus/pci/devices", sysfs_root);
    if (n < 0 || (size_t)n >= sizeof dir)
        return -ENAMETOOLONG;
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : -errno;
    int32_t found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        long long v = read_hex_attr(dir, e->d_name, "vendor");
        if (v != (long long)vendor)
            continue;
        /* A PCI address is at most "dddd:bb:dd.f" (12 chars); a longer name is no device. */
        size_t name_len = strlen(e->d_name);
        if (name_len >= sizeof out[0].address)
            continue;
        if (found < max) {
            rn_pci_device *p = &out[found];
            memset(p, 0, sizeof *p);
            memcpy(p->address, e->d_name, name_len);
            long long dev = read_hex_attr(dir, e->d_name, "device");
            long long cls = read_hex_attr(dir, e->d_name, "class");
            p->vendor = vendor;
            p->device = dev < 0 ? 0 : (uint16_t)dev;
            p->class_code = cls < 0 ? 0 : (uint32_t)cls;
        }
        found++;
    }
    closedir(d);
    qsort(out, (size_t)(found < max ? found : max), sizeof *out, by_address);
    return found;
}
