/*
 * emu_device.c - the emulated DPU: renesens_dpu.h on worker threads inside the host process.
 *
 * One device lock guards every queue pair's rings, the key table and the fault counters;
 * workers take up to EMU_TAKE descriptors per acquisition, run them unlocked (emu_kernels.c)
 * and post their completions under the lock again. A completion is posted only if its queue
 * pair's generation is unchanged: a reset bumps it, so nothing accepted before a reset ever
 * completes after it, and poll/reset wait until no worker still holds such a descriptor.
 *
 * Faults for tests come from the open config string:
 *   workers=N                     worker threads, 1..16 (default 1)
 *   fault=slow:5ms,lose:1/100,corrupt-status:1/50,reset-after:37
 * slow delays every completion; lose drops the completion of every Nth accepted descriptor;
 * corrupt-status posts every Nth with a status outside rn_dpu_status; reset-after resets the
 * device (once) when a worker reaches the Nth accepted descriptor, in the middle of its batch.
 */
#include "emu_internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define EMU_TAKE 8u
#define EMU_CORRUPT_STATUS 0x5A5A5A5A

typedef struct emu_item {
    rn_dpu_desc desc;
    uint64_t seq;
} emu_item;

struct rn_dpu_qp {
    struct rn_dpu_device *device;
    uint8_t *base;
    uint64_t size;
    uint32_t depth;
    emu_item *sq;               /* ring of `depth` accepted, not yet taken */
    uint32_t sq_head, sq_count;
    rn_dpu_completion *cq;      /* ring of `depth` posted, not yet polled */
    uint32_t cq_head, cq_count;
    uint32_t inflight;          /* accepted, not yet polled (lost ones stay until a reset) */
    uint32_t processing;        /* taken by a worker, not yet posted */
    uint64_t generation;
    bool reset_pending;         /* the next poll reports -ECONNRESET */
    bool listed;
};

typedef struct emu_faults {
    uint64_t slow_ns;
    uint64_t lose_every;
    uint64_t corrupt_every;
    uint64_t reset_after;
    bool reset_done;
} emu_faults;

struct rn_dpu_device {
    pthread_mutex_t lock;
    pthread_cond_t work;        /* a descriptor was accepted, or stop */
    pthread_cond_t idle;        /* a queue pair's processing count reached zero */
    bool stop;
    uint32_t worker_count;
    emu_worker workers[EMU_MAX_WORKERS];
    rn_dpu_qp *qps[EMU_MAX_QUEUE_PAIRS];
    uint32_t next_qp;           /* round-robin start for workers */
    uint64_t seq;               /* descriptors accepted so far, device-wide */
    emu_faults faults;
    uint8_t keys[EMU_MAX_KEYS][EMU_XTS_KEY_LEN];
    uint32_t key_handles[EMU_MAX_KEYS]; /* 0 = free; else (generation << 8) | slot */
    uint32_t key_generation;
};

/* ---- config ------------------------------------------------------------------------------ */

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 18)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* "1/N" -> N (N >= 1). */
static bool parse_every(const char *s, size_t len, uint64_t *out)
{
    return len > 2 && s[0] == '1' && s[1] == '/' && parse_u64(s + 2, len - 2, out) && *out >= 1;
}

/* "5ms", "200us", "1s" -> nanoseconds. */
static bool parse_duration(const char *s, size_t len, uint64_t *out)
{
    static const struct { const char *suffix; uint64_t ns; } units[] = {
        { "us", 1000ull }, { "ms", 1000000ull }, { "s", 1000000000ull } };
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t sl = strlen(units[u].suffix);
        uint64_t v;
        if (len > sl && memcmp(s + len - sl, units[u].suffix, sl) == 0 && parse_u64(s, len - sl, &v)) {
            if (v > 60000000000ull / units[u].ns)
                return false;
            *out = v * units[u].ns;
            return true;
        }
    }
    return false;
}

static bool parse_fault(const char *s, size_t len, emu_faults *f)
{
    const char *colon = memchr(s, ':', len);
    if (colon == NULL)
        return false;
    size_t klen = (size_t)(colon - s);
    const char *v = colon + 1;
    size_t vlen = len - klen - 1;
    if (klen == 4 && memcmp(s, "slow", 4) == 0)
        return parse_duration(v, vlen, &f->slow_ns);
    if (klen == 4 && memcmp(s, "lose", 4) == 0)
        return parse_every(v, vlen, &f->lose_every);
    if (klen == 14 && memcmp(s, "corrupt-status", 14) == 0)
        return parse_every(v, vlen, &f->corrupt_every);
    if (klen == 11 && memcmp(s, "reset-after", 11) == 0)
        return parse_u64(v, vlen, &f->reset_after) && f->reset_after >= 1;
    return false;
}

static int32_t parse_config(const char *config, uint32_t *workers, emu_faults *faults)
{
    *workers = 1;
    const char *p = config;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ';');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (len > 0) {
            if (eq == NULL)
                return -EINVAL;
            size_t klen = (size_t)(eq - p);
            const char *v = eq + 1;
            size_t vlen = len - klen - 1;
            if (klen == 7 && memcmp(p, "workers", 7) == 0) {
                uint64_t n;
                if (!parse_u64(v, vlen, &n) || n < 1 || n > EMU_MAX_WORKERS)
                    return -EINVAL;
                *workers = (uint32_t)n;
            } else if (klen == 5 && memcmp(p, "fault", 5) == 0) {
                while (vlen > 0) {
                    const char *comma = memchr(v, ',', vlen);
                    size_t flen = comma != NULL ? (size_t)(comma - v) : vlen;
                    if (!parse_fault(v, flen, faults))
                        return -EINVAL;
                    v += flen + (comma != NULL ? 1 : 0);
                    vlen -= flen + (comma != NULL ? 1 : 0);
                }
            } else {
                return -EINVAL;
            }
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

/* ---- workers ------------------------------------------------------------------------------ */

/* Drops everything accepted and not yet polled on every queue pair (device lock held). */
static void reset_locked(rn_dpu_device *d)
{
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS; i++) {
        rn_dpu_qp *qp = d->qps[i];
        if (qp == NULL)
            continue;
        qp->generation++;
        qp->sq_head = qp->sq_count = 0;
        qp->cq_head = qp->cq_count = 0;
        qp->inflight = 0;
        qp->reset_pending = true;
    }
}

static void wait_idle_locked(rn_dpu_device *d, rn_dpu_qp *qp)
{
    while (qp->processing > 0)
        pthread_cond_wait(&d->idle, &d->lock);
}

/* Takes up to EMU_TAKE descriptors from one queue pair (device lock held); 0 when none. */
static uint32_t take_locked(rn_dpu_device *d, emu_item *items, rn_dpu_qp **out_qp, uint64_t *out_gen)
{
    for (uint32_t k = 0; k < EMU_MAX_QUEUE_PAIRS; k++) {
        uint32_t i = (d->next_qp + k) % EMU_MAX_QUEUE_PAIRS;
        rn_dpu_qp *qp = d->qps[i];
        if (qp == NULL || qp->sq_count == 0)
            continue;
        d->next_qp = i + 1;
        *out_qp = qp;
        *out_gen = qp->generation;
        uint32_t n = 0;
        while (n < EMU_TAKE && qp->sq_count > 0) {
            emu_item *it = &qp->sq[qp->sq_head];
            if (d->faults.reset_after != 0 && !d->faults.reset_done && it->seq == d->faults.reset_after) {
                /* The device resets itself here: this descriptor, the rest of its batch and
                 * any taken above (their generation is now stale) never complete. */
                d->faults.reset_done = true;
                reset_locked(d);
                break;
            }
            items[n++] = *it;
            qp->sq_head = (qp->sq_head + 1) % qp->depth;
            qp->sq_count--;
        }
        if (n > 0 && qp->sq_count > 0)
            pthread_cond_signal(&d->work);
        qp->processing += n;
        return n;
    }
    return 0;
}

static void post_locked(rn_dpu_device *d, rn_dpu_qp *qp, uint64_t gen, const emu_item *it, rn_dpu_completion *c)
{
    if (gen != qp->generation)
        return;
    if (d->faults.lose_every != 0 && it->seq % d->faults.lose_every == 0)
        return;
    if (d->faults.corrupt_every != 0 && it->seq % d->faults.corrupt_every == 0)
        c->status = EMU_CORRUPT_STATUS;
    qp->cq[(qp->cq_head + qp->cq_count) % qp->depth] = *c;
    qp->cq_count++;
}

static void *worker_main(void *arg)
{
    emu_worker *w = arg;
    rn_dpu_device *d = w->device;
    emu_item items[EMU_TAKE];
    rn_dpu_completion done[EMU_TAKE];
    pthread_mutex_lock(&d->lock);
    while (!d->stop) {
        rn_dpu_qp *qp = NULL;
        uint64_t gen = 0;
        uint32_t n = take_locked(d, items, &qp, &gen);
        if (n == 0) {
            if (qp == NULL)
                pthread_cond_wait(&d->work, &d->lock);
            continue;
        }
        pthread_mutex_unlock(&d->lock);
        /* The queue pair stays mapped: qp_destroy waits for processing == 0 before unmapping. */
        for (uint32_t i = 0; i < n; i++)
            emu_execute(w, &items[i].desc, qp->base, qp->size, &done[i]);
        if (d->faults.slow_ns != 0) {
            struct timespec ts = { (time_t)(d->faults.slow_ns / 1000000000ull), (long)(d->faults.slow_ns % 1000000000ull) };
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&d->lock);
        for (uint32_t i = 0; i < n; i++)
            post_locked(d, qp, gen, &items[i], &done[i]);
        qp->processing -= n;
        if (qp->processing == 0)
            pthread_cond_broadcast(&d->idle);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

static void worker_free(emu_worker *w)
{
    free(w->scratch[0]);
    free(w->scratch[1]);
    EVP_CIPHER_CTX_free(w->xts[0]);
    EVP_CIPHER_CTX_free(w->xts[1]);
}

/* ---- the ABI ------------------------------------------------------------------------------- */

uint32_t rn_dpu_abi_version(void)
{
    return RN_DPU_ABI_VERSION;
}

static void stop_workers(rn_dpu_device *d, uint32_t started)
{
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_cond_broadcast(&d->work);
    pthread_mutex_unlock(&d->lock);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(d->workers[i].thread, NULL);
    for (uint32_t i = 0; i < d->worker_count; i++)
        worker_free(&d->workers[i]);
}

int32_t rn_dpu_open(const char *config, rn_dpu_device **out_device)
{
    if (out_device == NULL)
        return -EINVAL;
    rn_dpu_device *d = calloc(1, sizeof *d);
    if (d == NULL)
        return -ENOMEM;
    int32_t rc = parse_config(config, &d->worker_count, &d->faults);
    if (rc < 0) {
        free(d);
        return rc;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->work, NULL);
    pthread_cond_init(&d->idle, NULL);
    uint32_t started = 0;
    for (uint32_t i = 0; i < d->worker_count; i++) {
        emu_worker *w = &d->workers[i];
        w->device = d;
        w->scratch[0] = malloc(EMU_SCRATCH_SIZE);
        w->scratch[1] = malloc(EMU_SCRATCH_SIZE);
        w->xts[0] = EVP_CIPHER_CTX_new();
        w->xts[1] = EVP_CIPHER_CTX_new();
        if (w->scratch[0] == NULL || w->scratch[1] == NULL || w->xts[0] == NULL || w->xts[1] == NULL) {
            rc = -ENOMEM;
            break;
        }
    }
    for (uint32_t i = 0; rc == 0 && i < d->worker_count; i++) {
        if (pthread_create(&d->workers[i].thread, NULL, worker_main, &d->workers[i]) != 0)
            rc = -EAGAIN;
        else
            started++;
    }
    if (rc < 0) {
        stop_workers(d, started);
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->work);
        pthread_cond_destroy(&d->idle);
        free(d);
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
    info->device_version = 1;
    info->op_mask = (1ull << RN_DPU_OP_COUNT) - 1;
    info->max_queue_pairs = EMU_MAX_QUEUE_PAIRS;
    info->max_queue_depth = EMU_MAX_DEPTH;
    info->max_data_size = EMU_MAX_DATA;
    info->flags = RN_DPU_DEVICE_EMULATED;
    snprintf(info->name, sizeof info->name, "ReNESENS emulated DPU (%u worker%s)", d->worker_count,
             d->worker_count == 1 ? "" : "s");
    return 0;
}

int32_t rn_dpu_qp_create(rn_dpu_device *d, int32_t fd, uint64_t size, uint32_t depth, rn_dpu_qp **out_qp)
{
    if (d == NULL || out_qp == NULL || fd < 0 || size == 0 || depth == 0 || depth > EMU_MAX_DEPTH)
        return -EINVAL;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    /* A region larger than the file would fault (SIGBUS) on access past its end. */
    if (st.st_size < 0 || (uint64_t)st.st_size < size)
        return -ERANGE;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        return -errno;
    rn_dpu_qp *qp = calloc(1, sizeof *qp);
    emu_item *sq = calloc(depth, sizeof *sq);
    rn_dpu_completion *cq = calloc(depth, sizeof *cq);
    if (qp == NULL || sq == NULL || cq == NULL) {
        free(qp);
        free(sq);
        free(cq);
        munmap(base, size);
        return -ENOMEM;
    }
    qp->device = d;
    qp->base = base;
    qp->size = size;
    qp->depth = depth;
    qp->sq = sq;
    qp->cq = cq;
    pthread_mutex_lock(&d->lock);
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS && !qp->listed; i++) {
        if (d->qps[i] == NULL) {
            d->qps[i] = qp;
            qp->listed = true;
        }
    }
    pthread_mutex_unlock(&d->lock);
    if (!qp->listed) {
        free(sq);
        free(cq);
        free(qp);
        munmap(base, size);
        return -EBUSY;
    }
    *out_qp = qp;
    return 0;
}

int32_t rn_dpu_qp_destroy(rn_dpu_qp *qp)
{
    if (qp == NULL)
        return -EINVAL;
    rn_dpu_device *d = qp->device;
    pthread_mutex_lock(&d->lock);
    qp->generation++;
    qp->sq_count = 0;
    wait_idle_locked(d, qp);
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS; i++)
        if (d->qps[i] == qp)
            d->qps[i] = NULL;
    pthread_mutex_unlock(&d->lock);
    munmap(qp->base, qp->size);
    free(qp->sq);
    free(qp->cq);
    free(qp);
    return 0;
}

int32_t rn_dpu_key_load(rn_dpu_device *d, const uint8_t *key, uint32_t key_len, uint32_t *out_handle)
{
    if (d == NULL || key == NULL || out_handle == NULL || key_len != EMU_XTS_KEY_LEN)
        return -EINVAL;
    /* SP 800-38E: the data key and the tweak key must differ (OpenSSL refuses them too). */
    if (CRYPTO_memcmp(key, key + EMU_XTS_KEY_LEN / 2, EMU_XTS_KEY_LEN / 2) == 0)
        return -EINVAL;
    int32_t rc = -ENOSPC;
    pthread_mutex_lock(&d->lock);
    for (uint32_t i = 0; i < EMU_MAX_KEYS; i++) {
        if (d->key_handles[i] == 0) {
            d->key_generation = (d->key_generation + 1) & 0xFFFFFF;
            if (d->key_generation == 0)
                d->key_generation = 1;
            memcpy(d->keys[i], key, EMU_XTS_KEY_LEN);
            d->key_handles[i] = (d->key_generation << 8) | i;
            *out_handle = d->key_handles[i];
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int32_t rn_dpu_key_destroy(rn_dpu_device *d, uint32_t handle)
{
    if (d == NULL)
        return -EINVAL;
    uint32_t slot = handle & 0xFF;
    int32_t rc = -ENOENT;
    pthread_mutex_lock(&d->lock);
    if (handle != 0 && d->key_handles[slot] == handle) {
        OPENSSL_cleanse(d->keys[slot], EMU_XTS_KEY_LEN);
        d->key_handles[slot] = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

bool emu_key_lookup(rn_dpu_device *d, uint32_t handle, emu_key *out)
{
    uint32_t slot = handle & 0xFF;
    bool found = false;
    pthread_mutex_lock(&d->lock);
    if (handle != 0 && d->key_handles[slot] == handle) {
        memcpy(out->bytes, d->keys[slot], EMU_XTS_KEY_LEN);
        out->handle = handle;
        found = true;
    }
    pthread_mutex_unlock(&d->lock);
    return found;
}

int32_t rn_dpu_submit(rn_dpu_qp *qp, const rn_dpu_desc *descs, uint32_t count)
{
    if (qp == NULL || (descs == NULL && count > 0))
        return -EINVAL;
    rn_dpu_device *d = qp->device;
    pthread_mutex_lock(&d->lock);
    if (qp->reset_pending) {
        wait_idle_locked(d, qp);
        qp->reset_pending = false;
        pthread_mutex_unlock(&d->lock);
        return -ECONNRESET;
    }
    uint32_t room = qp->depth - qp->inflight;
    uint32_t n = count < room ? count : room;
    for (uint32_t i = 0; i < n; i++) {
        emu_item *it = &qp->sq[(qp->sq_head + qp->sq_count) % qp->depth];
        it->desc = descs[i];
        it->seq = ++d->seq;
        qp->sq_count++;
    }
    qp->inflight += n;
    if (n > 0)
        pthread_cond_signal(&d->work);
    pthread_mutex_unlock(&d->lock);
    return (int32_t)n;
}

int32_t rn_dpu_poll(rn_dpu_qp *qp, rn_dpu_completion *out, uint32_t max)
{
    if (qp == NULL || (out == NULL && max > 0))
        return -EINVAL;
    rn_dpu_device *d = qp->device;
    pthread_mutex_lock(&d->lock);
    if (qp->reset_pending) {
        wait_idle_locked(d, qp);
        qp->reset_pending = false;
        pthread_mutex_unlock(&d->lock);
        return -ECONNRESET;
    }
    uint32_t n = qp->cq_count < max ? qp->cq_count : max;
    for (uint32_t i = 0; i < n; i++) {
        out[i] = qp->cq[qp->cq_head];
        qp->cq_head = (qp->cq_head + 1) % qp->depth;
    }
    qp->cq_count -= n;
    qp->inflight -= n;
    pthread_mutex_unlock(&d->lock);
    return (int32_t)n;
}

int32_t rn_dpu_reset(rn_dpu_device *d)
{
    if (d == NULL)
        return -EINVAL;
    pthread_mutex_lock(&d->lock);
    reset_locked(d);
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS; i++)
        if (d->qps[i] != NULL)
            wait_idle_locked(d, d->qps[i]);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

int32_t rn_dpu_close(rn_dpu_device *d)
{
    if (d == NULL)
        return -EINVAL;
    pthread_mutex_lock(&d->lock);
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS; i++) {
        if (d->qps[i] != NULL) {
            pthread_mutex_unlock(&d->lock);
            return -EBUSY;
        }
    }
    pthread_mutex_unlock(&d->lock);
    stop_workers(d, d->worker_count);
    OPENSSL_cleanse(d->keys, sizeof d->keys);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->work);
    pthread_cond_destroy(&d->idle);
    free(d);
    return 0;
}
