/*
 * emu_internal.h - the emulated DPU behind renesens_dpu.h: the types its files share.
 *
 *   emu_config.c   the open config string (workers, spin, faults)
 *   emu_device.c   open, query, close, the key table
 *   emu_queue.c    queue pairs: the submission and completion rings, submit, poll, reset
 *   emu_worker.c   worker threads: claim descriptors, run them, post completions, sleep and wake
 *   emu_kernels.c  what one descriptor computes (ISA-L, liblz4, OpenSSL)
 *
 * Each queue pair is a board's doorbell and completion queue in shared memory: the host thread
 * writes descriptors into a submission ring and publishes its tail; workers claim runs of them by
 * compare-and-swap on the head, copy them out (then mark each slot free for the host again), run
 * them and publish completions into a completion ring whose slots carry their own sequence number. No lock on that path: the host makes a system call only
 * to wake a worker that went to sleep (a futex, after a flag check, like virtio's event
 * suppression). emu_queue.c states the memory-ordering pairs.
 */
#ifndef RN_EMU_INTERNAL_H
#define RN_EMU_INTERNAL_H

#include "renesens_dpu.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>

#define EMU_MAX_DATA (1u << 20)     /* max_data_size: the largest buffer of one descriptor */
#define EMU_MAX_QUEUE_PAIRS 64u
#define EMU_MAX_DEPTH 4096u
#define EMU_MAX_WORKERS 16u
#define EMU_MAX_KEYS 256u
#define EMU_MAX_KEY_LEN 64u
#define EMU_XTS_MAX_UNIT (1u << 24) /* IEEE 1619: at most 2^20 AES blocks per data unit */
/* A chain's intermediate: PI can grow data by meta_size/block_size (at most 2x with 1-byte
 * blocks... bounded here by refusing intermediates larger than this) and LZ4 by its bound. */
#define EMU_SCRATCH_SIZE (4u * EMU_MAX_DATA)
#define EMU_CACHE_LINE 64
#define EMU_DEFAULT_SPIN_NS 50000ull /* a worker with nothing to do spins this long, then sleeps */

/* ---- faults and config (emu_config.c) ------------------------------------------------------ */

typedef struct emu_faults {
    uint64_t slow_ns;
    uint64_t lose_every;
    uint64_t corrupt_every;
    uint64_t reset_after;
} emu_faults;

typedef struct emu_config {
    uint32_t workers;
    uint64_t spin_ns;
    emu_faults faults;
} emu_config;

/* Parses "key=value;key=value" (docs/device-abi.md lists the keys); -EINVAL on anything else. */
int32_t emu_parse_config(const char *config, emu_config *out);

/* ---- queue pairs (emu_queue.c) ------------------------------------------------------------- */

/* One completion ring slot: the completion, then the position it was written for plus one. */
typedef struct emu_cq_slot {
    rn_dpu_completion completion;
    _Atomic uint64_t seq;
    uint64_t reserved;
} emu_cq_slot;
_Static_assert(sizeof(emu_cq_slot) == EMU_CACHE_LINE, "one completion per cache line");

/*
 * A queue pair, embedded in its device and never freed before it: a worker may read the ring
 * indices of a slot at any time. It touches the rings and the region only between raising
 * `processing` and lowering it, and only after seeing `active` set and `reset_pending` clear.
 * Fields are grouped by writer, each group on its own cache line.
 */
struct rn_dpu_qp {
    /* Written by the host thread only. */
    alignas(EMU_CACHE_LINE) _Atomic uint64_t sq_tail; /* descriptors published (free-running) */
    uint64_t cq_head;                                  /* completions taken by poll */
    uint32_t inflight;                                 /* accepted, not yet polled */

    /* Claimed by workers (compare-and-swap); set to sq_tail when a reset is reported. */
    alignas(EMU_CACHE_LINE) _Atomic uint64_t sq_head;

    /* Completion slots reserved by workers (fetch-and-add). */
    alignas(EMU_CACHE_LINE) _Atomic uint64_t cq_reserve;

    /* State shared by workers, resets and the host. */
    alignas(EMU_CACHE_LINE) _Atomic uint32_t processing; /* workers inside the queue pair (futex word) */
    _Atomic uint32_t idle_waiters;   /* threads waiting for processing == 0 */
    _Atomic uint32_t reset_pending;  /* set by a reset; the host's next poll or submit reports it */
    _Atomic uint32_t active;         /* between qp_create and qp_destroy */
    _Atomic uint64_t generation;     /* bumped by every reset: completions of an older one are not posted */

    /* Set by qp_create before `active` is published; read-only while active. */
    alignas(EMU_CACHE_LINE) struct rn_dpu_device *device;
    uint8_t *base;        /* the region, mapped */
    uint64_t size;
    uint32_t depth;       /* in flight at most */
    uint32_t mask;        /* ring slots - 1 (slots: the power of two >= depth) */
    rn_dpu_desc *sq;      /* submission ring */
    _Atomic uint64_t *sq_free; /* per slot: the position the host may write into it next (a worker copied the last one out) */
    uint64_t *sq_seq;     /* device-wide number of each submitted descriptor (faults only) */
    emu_cq_slot *cq;      /* completion ring */
};

/* Wakes the threads waiting for `qp->processing` to reach zero, if any (after lowering it). */
void emu_qp_leave(rn_dpu_qp *qp, uint32_t count);

/* Resets the device from a worker (a fault) or the host: every active queue pair drops what it holds. */
void emu_reset_all(struct rn_dpu_device *device);

/* ---- workers (emu_worker.c) ---------------------------------------------------------------- */

/* One worker's private state: chain scratch and cached cipher contexts. */
typedef struct emu_worker {
    struct rn_dpu_device *device;
    pthread_t thread;
    uint8_t *scratch[2];
    EVP_CIPHER_CTX *xts[2];   /* [0] decrypt, [1] encrypt */
    uint32_t xts_handle[2];   /* key handle keyed into xts[i], 0 = none */
    EVP_CIPHER_CTX *gcm[2];   /* [0] decrypt, [1] encrypt */
    uint32_t gcm_handle[2];
} emu_worker;

void *emu_worker_main(void *arg);

/* Wakes one sleeping worker, if any: the host calls it after publishing descriptors. */
void emu_wake_one(struct rn_dpu_device *device);

/* ---- the device (emu_device.c) ------------------------------------------------------------- */

struct rn_dpu_device {
    /* The doorbell: workers sleep on it; the host rings it only when `sleepers` says one sleeps. */
    alignas(EMU_CACHE_LINE) _Atomic uint32_t doorbell; /* futex word, bumped by every wake */
    _Atomic uint32_t sleepers;                         /* workers asleep or about to be */
    _Atomic uint32_t stop;

    /* Device-wide descriptor numbering and the one-shot reset fault. */
    alignas(EMU_CACHE_LINE) _Atomic uint64_t seq;
    _Atomic uint32_t reset_done;
    pthread_mutex_t fault_lock; /* serialises claims while the reset-after fault is armed (tests only) */

    /* Read-only after open. */
    alignas(EMU_CACHE_LINE) emu_config config;
    bool faults_on;         /* any fault configured: descriptors are numbered */
    uint32_t worker_count;
    emu_worker workers[EMU_MAX_WORKERS];

    /* Queue pairs: slots [0, qp_high) have been used; a worker scans them. */
    _Atomic uint32_t qp_high;
    rn_dpu_qp qps[EMU_MAX_QUEUE_PAIRS];

    /* Control path: queue pair creation and destruction, the key table. */
    pthread_mutex_t control;
    uint8_t keys[EMU_MAX_KEYS][EMU_MAX_KEY_LEN];
    uint32_t key_handles[EMU_MAX_KEYS]; /* 0 = free; else (generation << 8) | slot */
    uint32_t key_types[EMU_MAX_KEYS];   /* rn_dpu_key_type */
    uint32_t key_generation;
};

/* A key as a worker sees it: a copy taken under the control lock. */
typedef struct emu_key {
    uint8_t bytes[EMU_MAX_KEY_LEN];
    uint32_t handle;
} emu_key;

/* Copies the key named by `handle` under the control lock; false when there is none of `type`. */
bool emu_key_lookup(struct rn_dpu_device *device, uint32_t handle, uint32_t type, emu_key *out);

/* ---- kernels (emu_kernels.c) --------------------------------------------------------------- */

/* Runs one descriptor (a private copy) against the region [base, base + size) and fills `out`. */
void emu_execute(emu_worker *worker, const rn_dpu_desc *desc, uint8_t *base, uint64_t size,
                 rn_dpu_completion *out);

/* CRC64/NVMe (Rocksoft), continued from a previous result (0 to start). */
uint64_t emu_crc64_nvme(uint64_t previous, const uint8_t *data, size_t len);

#endif
