#include "renesens_native.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

static void copy_error(char *err, int32_t err_len)
{
    if (err == NULL || err_len <= 0)
        return;
    const char *msg = dlerror();
    snprintf(err, (size_t)err_len, "%s", msg != NULL ? msg : "unknown dynamic loader error");
}

int32_t rn_dlopen(const char *name, void **out_handle, char *err, int32_t err_len)
{
    if (name == NULL || out_handle == NULL)
        return -EINVAL;
    dlerror();
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        copy_error(err, err_len);
        return -ENOENT;
    }
    *out_handle = h;
    return 0;
}

int32_t rn_dlsym(void *handle, const char *symbol, void **out_addr, char *err, int32_t err_len)
{
    if (handle == NULL || symbol == NULL || out_addr == NULL)
        return -EINVAL;
    dlerror();
    void *p = dlsym(handle, symbol);
    if (p == NULL) {
        copy_error(err, err_len);
        return -ENOENT;
    }
    *out_addr = p;
    return 0;
}

int32_t rn_dlclose(void *handle)
{
    if (handle == NULL)
        return -EINVAL;
    return dlclose(handle) == 0 ? 0 : -EIO;
}
