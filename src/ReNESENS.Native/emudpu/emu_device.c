/*
 * emu_device.c - the emulated DPU as a whole: renesens_dpu.h's open, query and close, and the
 * key table, on worker threads inside the host process. The queue pairs are in emu_queue.c,
 * the workers in emu_worker.c; emu_config.c documents the config string (workers, spin, faults).
 */
#include "emu_internal.h"
#include "emu_sync.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMU_XTS_KEY_LEN 64u
#define EMU_GCM_KEY_LEN 32u

uint32_t rn_dpu_abi_version(void)
{
    return RN_DPU_ABI_VERSION;
}

static void worker_free(emu_worker *w)
{
    free(w->scratch[0]);
    free(w->scratch[1]);
    EVP_CIPHER_CTX_free(w->xts[0]);
    EVP_CIPHER_CTX_free(w->xts[1]);
    EVP_CIPHER_CTX_free(w->gcm[0]);
    EVP_CIPHER_CTX_free(w->gcm[1]);
}

static void stop_workers(rn_dpu_device *d, uint32_t started)
{
    atomic_store(&d->stop, 1);
    atomic_fetch_add(&d->doorbell, 1);
    emu_futex_wake(&d->doorbell, INT32_MAX);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(d->workers[i].thread, NULL);
    for (uint32_t i = 0; i < d->worker_count; i++)
        worker_free(&d->workers[i]);
}

static void device_free(rn_dpu_device *d)
{
    OPENSSL_cleanse(d->keys, sizeof d->keys);
    pthread_mutex_destroy(&d->control);
    pthread_mutex_destroy(&d->fault_lock);
    free(d);
}

int32_t rn_dpu_open(const char *config, rn_dpu_device **out_device)
{
    if (out_device == NULL)
        return -EINVAL;
    size_t size = (sizeof(rn_dpu_device) + EMU_CACHE_LINE - 1) / EMU_CACHE_LINE * EMU_CACHE_LINE;
    rn_dpu_device *d = aligned_alloc(EMU_CACHE_LINE, size);
    if (d == NULL)
        return -ENOMEM;
    memset(d, 0, size);
    int32_t rc = emu_parse_config(config, &d->config);
    if (rc < 0) {
        free(d);
        return rc;
    }
    const emu_faults *f = &d->config.faults;
    d->faults_on = f->lose_every != 0 || f->corrupt_every != 0 || f->reset_after != 0;
    d->worker_count = d->config.workers;
    pthread_mutex_init(&d->control, NULL);
    pthread_mutex_init(&d->fault_lock, NULL);
    for (uint32_t i = 0; i < d->worker_count && rc == 0; i++) {
        emu_worker *w = &d->workers[i];
        w->device = d;
        w->scratch[0] = malloc(EMU_SCRATCH_SIZE);
        w->scratch[1] = malloc(EMU_SCRATCH_SIZE);
        w->xts[0] = EVP_CIPHER_CTX_new();
        w->xts[1] = EVP_CIPHER_CTX_new();
        w->gcm[0] = EVP_CIPHER_CTX_new();
        w->gcm[1] = EVP_CIPHER_CTX_new();
        if (w->scratch[0] == NULL || w->scratch[1] == NULL || w->xts[0] == NULL || w->xts[1] == NULL
            || w->gcm[0] == NULL || w->gcm[1] == NULL)
            rc = -ENOMEM;
    }
    uint32_t started = 0;
    for (uint32_t i = 0; rc == 0 && i < d->worker_count; i++) {
        if (pthread_create(&d->workers[i].thread, NULL, emu_worker_main, &d->workers[i]) != 0)
            rc = -EAGAIN;
        else
            started++;
    }
    if (rc < 0) {
        stop_workers(d, started);
        device_free(d);
        return rc;
    }
    *out_device = d;
    return 0;
}

int32_t rn_dpu_query(rn_dpu_device *d, rn_dpu_device_info *info)
{
    if (d == NULL || info == NULL)
        return -EINVAL;
    memset(info, 0, sizeof *info);
    info->abi_version = RN_DPU_ABI_VERSION;
    info->device_version = 2;
    info->op_mask = (1ull << RN_DPU_OP_COUNT) - 1;
    info->max_queue_pairs = EMU_MAX_QUEUE_PAIRS;
    info->max_queue_depth = EMU_MAX_DEPTH;
    info->max_data_size = EMU_MAX_DATA;
    info->flags = RN_DPU_DEVICE_EMULATED;
    snprintf(info->name, sizeof info->name, "ReNESENS emulated DPU (%u worker%s)", d->worker_count,
             d->worker_count == 1 ? "" : "s");
    return 0;
}

int32_t rn_dpu_key_load(rn_dpu_device *d, uint32_t key_type, const uint8_t *key, uint32_t key_len, uint32_t *out_handle)
{
    if (d == NULL || key == NULL || out_handle == NULL)
        return -EINVAL;
    if (key_type == RN_DPU_KEY_AES256_XTS) {
        /* SP 800-38E: the data key and the tweak key must differ (OpenSSL refuses them too). */
        if (key_len != EMU_XTS_KEY_LEN || CRYPTO_memcmp(key, key + EMU_XTS_KEY_LEN / 2, EMU_XTS_KEY_LEN / 2) == 0)
            return -EINVAL;
    } else if (key_type != RN_DPU_KEY_AES256_GCM || key_len != EMU_GCM_KEY_LEN) {
        return -EINVAL;
    }
    int32_t rc = -ENOSPC;
    pthread_mutex_lock(&d->control);
    for (uint32_t i = 0; i < EMU_MAX_KEYS; i++) {
        if (d->key_handles[i] == 0) {
            d->key_generation = (d->key_generation + 1) & 0xFFFFFF;
            if (d->key_generation == 0)
                d->key_generation = 1;
            memset(d->keys[i], 0, EMU_MAX_KEY_LEN);
            memcpy(d->keys[i], key, key_len);
            d->key_types[i] = key_type;
            d->key_handles[i] = (d->key_generation << 8) | i;
            *out_handle = d->key_handles[i];
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&d->control);
    return rc;
}

int32_t rn_dpu_key_destroy(rn_dpu_device *d, uint32_t handle)
{
    if (d == NULL)
        return -EINVAL;
    uint32_t slot = handle & 0xFF;
    int32_t rc = -ENOENT;
    pthread_mutex_lock(&d->control);
    if (handle != 0 && d->key_handles[slot] == handle) {
        OPENSSL_cleanse(d->keys[slot], EMU_MAX_KEY_LEN);
        d->key_handles[slot] = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&d->control);
    return rc;
}

bool emu_key_lookup(rn_dpu_device *d, uint32_t handle, uint32_t type, emu_key *out)
{
    uint32_t slot = handle & 0xFF;
    bool found = false;
    pthread_mutex_lock(&d->control);
    if (handle != 0 && d->key_handles[slot] == handle && d->key_types[slot] == type) {
        memcpy(out->bytes, d->keys[slot], EMU_MAX_KEY_LEN);
        out->handle = handle;
        found = true;
    }
    pthread_mutex_unlock(&d->control);
    return found;
}

int32_t rn_dpu_close(rn_dpu_device *d)
{
    if (d == NULL)
        return -EINVAL;
    pthread_mutex_lock(&d->control);
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS; i++) {
        if (atomic_load(&d->qps[i].active)) {
            pthread_mutex_unlock(&d->control);
            return -EBUSY;
        }
    }
    pthread_mutex_unlock(&d->control);
    stop_workers(d, d->worker_count);
    device_free(d);
    return 0;
}
