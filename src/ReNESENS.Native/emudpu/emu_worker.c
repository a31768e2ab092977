/*
 * emu_worker.c - the emulated DPU's worker threads. A worker scans the queue pairs round-robin,
 * claims up to EMU_TAKE descriptors of one by compare-and-swap on its submission head, copies
 * them out (each descriptor is read once), runs them unlocked (emu_kernels.c) and publishes
 * their completions. With nothing to do it spins for config.spin_ns, then sleeps on the doorbell
 * futex until the host rings it. emu_queue.c lists the memory-ordering pairs used here.
 *
 * A completion is posted only if its queue pair's generation is unchanged since the worker
 * entered: a reset bumps it, and its report waits until no worker is inside, so nothing accepted
 * before a reset ever completes, or is touched, after the host learns of it.
 */
#include "emu_internal.h"
#include "emu_sync.h"

#include <string.h>

#define EMU_TAKE 8u
#define EMU_CORRUPT_STATUS 0x5A5A5A5A
#define EMU_SPIN_CHECK 64u /* spin iterations between two reads of the clock */

void emu_wake_one(rn_dpu_device *d)
{
    atomic_thread_fence(memory_order_seq_cst); /* H0 */
    if (atomic_load_explicit(&d->sleepers, memory_order_relaxed) != 0) {
        atomic_fetch_add(&d->doorbell, 1);
        emu_futex_wake(&d->doorbell, 1);
    }
}

/* Work a worker could take: descriptors published and not claimed, and no reset to report first. */
static bool has_work(rn_dpu_qp *qp)
{
    return atomic_load_explicit(&qp->active, memory_order_relaxed)
           && !atomic_load_explicit(&qp->reset_pending, memory_order_relaxed)
           && atomic_load_explicit(&qp->sq_head, memory_order_relaxed) != atomic_load_explicit(&qp->sq_tail, memory_order_relaxed);
}

static bool any_work(rn_dpu_device *d)
{
    uint32_t high = atomic_load(&d->qp_high);
    for (uint32_t i = 0; i < high; i++)
        if (has_work(&d->qps[i]))
            return true;
    return false;
}

/* Claims up to EMU_TAKE descriptors from [sq_head, sq_tail); 0 when there are none. */
static uint32_t claim(rn_dpu_qp *qp, uint64_t *first)
{
    uint64_t head = atomic_load_explicit(&qp->sq_head, memory_order_relaxed);
    for (;;) {
        uint64_t tail = atomic_load_explicit(&qp->sq_tail, memory_order_acquire); /* C0 */
        if (head >= tail)
            return 0;
        uint64_t n = tail - head < EMU_TAKE ? tail - head : EMU_TAKE;
        if (atomic_compare_exchange_weak_explicit(&qp->sq_head, &head, head + n, memory_order_relaxed, memory_order_relaxed)) {
            *first = head;
            return (uint32_t)n;
        }
    }
}

/* Publishes the completions that are neither stale nor lost (a fault), corrupting some (a fault). */
static void post(rn_dpu_device *d, rn_dpu_qp *qp, uint64_t generation, const uint64_t *seqs, rn_dpu_completion *done, uint32_t n)
{
    if (atomic_load(&qp->generation) != generation)
        return;
    const emu_faults *f = &d->config.faults;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (f->lose_every != 0 && seqs[i] % f->lose_every == 0)
            continue;
        if (f->corrupt_every != 0 && seqs[i] % f->corrupt_every == 0)
            done[i].status = EMU_CORRUPT_STATUS;
        done[kept++] = done[i];
    }
    if (kept == 0)
        return;
    uint64_t pos = atomic_fetch_add_explicit(&qp->cq_reserve, kept, memory_order_acq_rel); /* W0 */
    for (uint32_t i = 0; i < kept; i++, pos++) {
        emu_cq_slot *slot = &qp->cq[pos & qp->mask];
        slot->completion = done[i];
        atomic_store_explicit(&slot->seq, pos + 1, memory_order_release); /* W1 */
    }
}

/*
 * The reset-after fault: with it configured, claims are serialised by the fault lock so that the
 * first run to reach the Nth descriptor resets the device before any later one is claimed.
 * True when this run reached it (the reset is done; the run is dropped).
 */
static bool reset_fault(rn_dpu_device *d, const uint64_t *seqs, uint32_t n)
{
    if (atomic_load(&d->reset_done))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (seqs[i] >= d->config.faults.reset_after) {
            atomic_store(&d->reset_done, 1);
            emu_reset_all(d);
            return true;
        }
    }
    return false;
}

/* Takes and runs one run of descriptors from `qp`; false when there was nothing to take. */
static bool run_queue(emu_worker *w, rn_dpu_qp *qp)
{
    rn_dpu_device *d = w->device;
    atomic_fetch_add(&qp->processing, 1); /* E0 */
    uint64_t generation = atomic_load(&qp->generation);
    if (!atomic_load(&qp->active) || atomic_load(&qp->reset_pending)) {
        emu_qp_leave(qp, 1);
        return false;
    }
    const emu_faults *f = &d->config.faults;
    bool serialised = f->reset_after != 0;
    if (serialised)
        pthread_mutex_lock(&d->fault_lock);
    uint64_t first = 0;
    uint32_t n = serialised && atomic_load(&qp->reset_pending) ? 0 : claim(qp, &first);
    rn_dpu_desc items[EMU_TAKE];
    uint64_t seqs[EMU_TAKE];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t pos = first + i;
        items[i] = qp->sq[pos & qp->mask];
        seqs[i] = d->faults_on ? qp->sq_seq[pos & qp->mask] : 0;
        atomic_store_explicit(&qp->sq_free[pos & qp->mask], pos + qp->mask + 1, memory_order_release); /* F0 */
    }
    /* The device resets itself here: this run and every descriptor accepted and not yet polled never complete. */
    bool reset = serialised && reset_fault(d, seqs, n);
    if (serialised)
        pthread_mutex_unlock(&d->fault_lock);
    if (n == 0 || reset) {
        emu_qp_leave(qp, 1);
        return n > 0;
    }
    if (atomic_load_explicit(&qp->sq_tail, memory_order_relaxed) != first + n)
        emu_wake_one(d); /* more left: a sleeping worker may help */

    /* The region stays mapped while we are inside: destroy waits for processing == 0 first. */
    rn_dpu_completion done[EMU_TAKE];
    for (uint32_t i = 0; i < n; i++)
        emu_execute(w, &items[i], qp->base, qp->size, &done[i]);
    if (f->slow_ns != 0) {
        struct timespec ts = { (time_t)(f->slow_ns / 1000000000ull), (long)(f->slow_ns % 1000000000ull) };
        nanosleep(&ts, NULL);
    }
    post(d, qp, generation, seqs, done, n);
    emu_qp_leave(qp, 1);
    return true;
}

void *emu_worker_main(void *arg)
{
    emu_worker *w = arg;
    rn_dpu_device *d = w->device;
    uint32_t next = 0;
    uint32_t spins = 0;
    uint64_t idle_since = 0;
    while (!atomic_load_explicit(&d->stop, memory_order_acquire)) {
        uint32_t high = atomic_load_explicit(&d->qp_high, memory_order_acquire);
        bool ran = false;
        for (uint32_t k = 0; k < high && !ran; k++) {
            uint32_t i = next + k < high ? next + k : next + k - high;
            if (has_work(&d->qps[i]) && run_queue(w, &d->qps[i])) {
                next = i + 1 < high ? i + 1 : 0;
                ran = true;
            }
        }
        if (ran) {
            idle_since = 0;
            continue;
        }
        if (d->config.spin_ns != 0) {
            if (idle_since == 0) {
                idle_since = emu_now_ns();
                spins = 0;
            }
            if (++spins % EMU_SPIN_CHECK != 0 || emu_now_ns() - idle_since < d->config.spin_ns) {
                emu_cpu_relax();
                continue;
            }
        }
        /* Sleep until the host rings the doorbell (or stop), unless work arrived meanwhile. */
        uint32_t bell = atomic_load(&d->doorbell);
        atomic_fetch_add(&d->sleepers, 1); /* K0 */
        atomic_thread_fence(memory_order_seq_cst);
        if (!any_work(d) && !atomic_load(&d->stop))
            emu_futex_wait(&d->doorbell, bell);
        atomic_fetch_sub(&d->sleepers, 1);
        idle_since = 0;
    }
    return NULL;
}
