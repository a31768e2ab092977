/*
 * emu_queue.c - the emulated DPU's queue pairs: a submission ring the host thread fills and
 * workers claim from, a completion ring workers fill and the host thread drains. No lock on
 * submit and poll; the control lock only orders queue pair creation and destruction.
 *
 * Memory-ordering pairs (each named where it happens):
 *   S0 (submit: release store of sq_tail)   -> C0 (emu_worker.c claim: acquire load of sq_tail):
 *        a worker that sees the tail sees the descriptors before it.
 *   F0 (worker: release store of sq_free[slot] after copying the slot out) -> F1 (submit: acquire
 *        load of sq_free[slot] before writing it): the host rewrites a slot only once the worker
 *        that claimed it has its copy. (Runs complete out of order: a later run's completions can
 *        free host room while an earlier claimed run is not copied yet, so room alone is not enough.)
 *   W0 (worker: acq_rel fetch-and-add reserving completion slots) chains the reservations: a worker
 *        writes a completion slot only after the host has read what it last held (the host read
 *        it before submitting a descriptor that some earlier reserver claimed).
 *   W1 (worker: release store of slot seq)  -> P0 (poll: acquire load of slot seq):
 *        the host that sees a slot's sequence sees its completion.
 *   E0 (worker enters: raise processing, then read active and reset_pending, all seq_cst)
 *        against R0 (reset: set reset_pending, then read processing) and A0 (destroy: clear
 *        active, then read processing): either the reset/destroy waits for the worker, or the
 *        worker sees the flag and touches nothing.
 *   R1 (report: release store clearing reset_pending) -> E0's load: a worker that sees it clear
 *        sees the emptied rings.
 *   H0 (emu_worker.c emu_wake_one: fence, then read sleepers) against K0 (a worker going to
 *        sleep: raise sleepers, fence, then look for work): either the host rings the doorbell
 *        or the worker sees the descriptors and does not sleep.
 *
 * Ring capacity: the host accepts at most `depth` descriptors in flight (accepted, not yet
 * polled) and only into submission slots marked free (F0/F1; a reported reset frees the slots
 * of what it dropped), and the rings have at least `depth` slots, so at most `depth` completion
 * slots are ever reserved and not yet polled.
 */
#include "emu_internal.h"
#include "emu_sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static uint32_t ring_slots(uint32_t depth)
{
    uint32_t slots = 1;
    while (slots < depth)
        slots <<= 1;
    return slots;
}

void emu_qp_leave(rn_dpu_qp *qp, uint32_t count)
{
    /* L0: pairs with W0 in emu_wait_zero: the last one out sees the waiter, or the waiter sees zero. */
    if (atomic_fetch_sub(&qp->processing, count) == count && atomic_load(&qp->idle_waiters) != 0)
        emu_futex_wake(&qp->processing, INT32_MAX);
}

void emu_reset_all(rn_dpu_device *d)
{
    uint32_t high = atomic_load(&d->qp_high);
    for (uint32_t i = 0; i < high; i++) {
        rn_dpu_qp *qp = &d->qps[i];
        if (atomic_load(&qp->active)) {
            atomic_fetch_add(&qp->generation, 1);
            atomic_store(&qp->reset_pending, 1); /* R0 */
        }
    }
}

/*
 * The host thread learns of a reset: once no worker is inside, nothing accepted before it will
 * complete or be touched again; the rings are emptied and the queue pair takes descriptors again.
 */
static int32_t report_reset(rn_dpu_qp *qp)
{
    emu_wait_zero(&qp->processing, &qp->idle_waiters);
    /* No worker can enter while reset_pending is set, so these indices are still; the dropped
     * descriptors were never copied out, so their slots are freed here. */
    uint64_t tail = atomic_load_explicit(&qp->sq_tail, memory_order_relaxed);
    for (uint64_t pos = atomic_load_explicit(&qp->sq_head, memory_order_relaxed); pos < tail; pos++)
        atomic_store_explicit(&qp->sq_free[pos & qp->mask], pos + qp->mask + 1, memory_order_relaxed);
    atomic_store_explicit(&qp->sq_head, tail, memory_order_relaxed);
    qp->cq_head = atomic_load_explicit(&qp->cq_reserve, memory_order_relaxed);
    qp->inflight = 0;
    atomic_store_explicit(&qp->reset_pending, 0, memory_order_release); /* R1 */
    return -ECONNRESET;
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
    uint32_t slots = ring_slots(depth);
    rn_dpu_desc *sq = aligned_alloc(EMU_CACHE_LINE, (size_t)slots * sizeof *sq);
    _Atomic uint64_t *sq_free = aligned_alloc(EMU_CACHE_LINE, (size_t)slots * sizeof *sq_free);
    uint64_t *sq_seq = calloc(slots, sizeof *sq_seq);
    emu_cq_slot *cq = aligned_alloc(EMU_CACHE_LINE, (size_t)slots * sizeof *cq);
    if (sq == NULL || sq_free == NULL || sq_seq == NULL || cq == NULL) {
        free(sq);
        free(sq_free);
        free(sq_seq);
        free(cq);
        munmap(base, size);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < slots; i++)
        atomic_init(&sq_free[i], i);
    /* Slot sequence 0 never matches: position p is complete when its slot holds p + 1. */
    memset(cq, 0, (size_t)slots * sizeof *cq);

    int32_t rc = -EBUSY;
    pthread_mutex_lock(&d->control);
    for (uint32_t i = 0; i < EMU_MAX_QUEUE_PAIRS; i++) {
        rn_dpu_qp *qp = &d->qps[i];
        if (atomic_load(&qp->active))
            continue;
        /* A free slot: destroy waited until no worker was inside, and none enters until active is set. */
        qp->device = d;
        qp->base = base;
        qp->size = size;
        qp->depth = depth;
        qp->mask = slots - 1;
        qp->sq = sq;
        qp->sq_free = sq_free;
        qp->sq_seq = sq_seq;
        qp->cq = cq;
        qp->cq_head = 0;
        qp->inflight = 0;
        atomic_store_explicit(&qp->sq_tail, 0, memory_order_relaxed);
        atomic_store_explicit(&qp->sq_head, 0, memory_order_relaxed);
        atomic_store_explicit(&qp->cq_reserve, 0, memory_order_relaxed);
        atomic_store_explicit(&qp->reset_pending, 0, memory_order_relaxed);
        atomic_store(&qp->active, 1); /* publishes the fields above to a worker's E0 */
        if (atomic_load(&d->qp_high) < i + 1)
            atomic_store(&d->qp_high, i + 1);
        *out_qp = qp;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&d->control);
    if (rc != 0) {
        free(sq);
        free(sq_free);
        free(sq_seq);
        free(cq);
        munmap(base, size);
    }
    return rc;
}

int32_t rn_dpu_qp_destroy(rn_dpu_qp *qp)
{
    if (qp == NULL)
        return -EINVAL;
    rn_dpu_device *d = qp->device;
    pthread_mutex_lock(&d->control);
    if (!atomic_load(&qp->active)) {
        pthread_mutex_unlock(&d->control);
        return -EINVAL;
    }
    atomic_store(&qp->active, 0); /* A0 */
    emu_wait_zero(&qp->processing, &qp->idle_waiters);
    munmap(qp->base, qp->size);
    free(qp->sq);
    free((void *)qp->sq_free);
    free(qp->sq_seq);
    free(qp->cq);
    qp->base = NULL;
    qp->sq = NULL;
    qp->sq_free = NULL;
    qp->sq_seq = NULL;
    qp->cq = NULL;
    pthread_mutex_unlock(&d->control);
    return 0;
}

int32_t rn_dpu_submit(rn_dpu_qp *qp, const rn_dpu_desc *descs, uint32_t count)
{
    if (qp == NULL || (descs == NULL && count > 0))
        return -EINVAL;
    if (atomic_load_explicit(&qp->reset_pending, memory_order_acquire))
        return report_reset(qp);
    uint32_t room = qp->depth - qp->inflight;
    uint32_t n = count < room ? count : room;
    if (n == 0)
        return 0;
    rn_dpu_device *d = qp->device;
    uint64_t tail = atomic_load_explicit(&qp->sq_tail, memory_order_relaxed); /* written by this thread only */
    for (uint32_t i = 0; i < n; i++) {
        if (atomic_load_explicit(&qp->sq_free[(tail + i) & qp->mask], memory_order_acquire) != tail + i) { /* F1 */
            n = i; /* a worker has not copied this slot out yet: accept fewer, like a full queue */
            break;
        }
    }
    if (n == 0)
        return 0;
    uint32_t at = (uint32_t)tail & qp->mask;
    uint32_t first = qp->mask + 1 - at < n ? qp->mask + 1 - at : n; /* up to the ring's end, then from its start */
    memcpy(&qp->sq[at], descs, (size_t)first * sizeof *descs);
    memcpy(&qp->sq[0], descs + first, (size_t)(n - first) * sizeof *descs);
    if (d->faults_on) {
        uint64_t seq = atomic_fetch_add_explicit(&d->seq, n, memory_order_relaxed) + 1;
        for (uint32_t i = 0; i < n; i++)
            qp->sq_seq[(tail + i) & qp->mask] = seq + i;
    }
    atomic_store_explicit(&qp->sq_tail, tail + n, memory_order_release); /* S0 */
    qp->inflight += n;
    emu_wake_one(d);
    return (int32_t)n;
}

int32_t rn_dpu_poll(rn_dpu_qp *qp, rn_dpu_completion *out, uint32_t max)
{
    if (qp == NULL || (out == NULL && max > 0))
        return -EINVAL;
    if (atomic_load_explicit(&qp->reset_pending, memory_order_acquire))
        return report_reset(qp);
    uint64_t head = qp->cq_head;
    uint32_t n = 0;
    while (n < max) {
        emu_cq_slot *slot = &qp->cq[head & qp->mask];
        if (atomic_load_explicit(&slot->seq, memory_order_acquire) != head + 1) /* P0 */
            break;
        out[n++] = slot->completion;
        head++;
    }
    qp->cq_head = head;
    qp->inflight -= n;
    return (int32_t)n;
}

int32_t rn_dpu_reset(rn_dpu_device *d)
{
    if (d == NULL)
        return -EINVAL;
    emu_reset_all(d);
    uint32_t high = atomic_load(&d->qp_high);
    for (uint32_t i = 0; i < high; i++)
        emu_wait_zero(&d->qps[i].processing, &d->qps[i].idle_waiters);
    return 0;
}
