/*
 * emu_sync.h - the few primitives the emulated DPU's lock-free paths sleep and spin with:
 * private futexes on 32-bit words, a pause for spin loops, and the monotonic clock (vDSO).
 */
#ifndef RN_EMU_SYNC_H
#define RN_EMU_SYNC_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *word == expected (returns at once if it differs), or until woken. */
static inline void emu_futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

/* Wakes up to `count` threads sleeping on `word`. */
static inline void emu_futex_wake(_Atomic uint32_t *word, int count)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

static inline void emu_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint64_t emu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Waits until *word is 0, sleeping on it; `waiters` tells the thread that lowers it to wake us. */
static inline void emu_wait_zero(_Atomic uint32_t *word, _Atomic uint32_t *waiters)
{
    /* W0: pairs with L0 in emu_qp_leave: either it sees our waiter count, or we see its zero. */
    atomic_fetch_add(waiters, 1);
    uint32_t v;
    while ((v = atomic_load(word)) != 0)
        emu_futex_wait(word, v);
    atomic_fetch_sub(waiters, 1);
}

#endif
