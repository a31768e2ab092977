/*
 * emu_internal.h - the emulated DPU behind renesens_dpu.h: shared types of the device
 * (emu_device.c: queue pairs, workers, keys, faults) and its kernels (emu_kernels.c).
 */
#ifndef RN_EMU_INTERNAL_H
#define RN_EMU_INTERNAL_H

#include "renesens_dpu.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>

#define EMU_MAX_DATA (1u << 20)     /* max_data_size: the largest buffer of one descriptor */
#define EMU_MAX_QUEUE_PAIRS 64u
#define EMU_MAX_DEPTH 4096u
#define EMU_MAX_WORKERS 16u
#define EMU_MAX_KEYS 256u
#define EMU_XTS_KEY_LEN 64u
#define EMU_XTS_MAX_UNIT (1u << 24) /* IEEE 1619: at most 2^20 AES blocks per data unit */
/* A chain's intermediate: PI can grow data by meta_size/block_size (at most 2x with 1-byte
 * blocks... bounded here by refusing intermediates larger than this) and LZ4 by its bound. */
#define EMU_SCRATCH_SIZE (4u * EMU_MAX_DATA)

/* One worker's private state: chain scratch and cached XTS contexts. */
typedef struct emu_worker {
    struct rn_dpu_device *device;
    pthread_t thread;
    uint8_t *scratch[2];
    EVP_CIPHER_CTX *xts[2];   /* [0] decrypt, [1] encrypt */
    uint32_t xts_handle[2];   /* key handle keyed into xts[i], 0 = none */
} emu_worker;

/* A key as a worker sees it: a copy taken under the device lock. */
typedef struct emu_key {
    uint8_t bytes[EMU_XTS_KEY_LEN];
    uint32_t handle;
} emu_key;

/* Runs one descriptor against the region [base, base + size) and fills `out`. */
void emu_execute(emu_worker *worker, const rn_dpu_desc *desc, uint8_t *base, uint64_t size,
                 rn_dpu_completion *out);

/* Copies the key named by `handle` under the device lock; false when there is none. */
bool emu_key_lookup(struct rn_dpu_device *device, uint32_t handle, emu_key *out);

/* CRC64/NVMe (Rocksoft), continued from a previous result (0 to start). */
uint64_t emu_crc64_nvme(uint64_t previous, const uint8_t *data, size_t len);

#endif
