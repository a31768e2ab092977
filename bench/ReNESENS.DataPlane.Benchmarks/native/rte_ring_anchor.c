/*
 * Native anchor for the ring benchmarks: DPDK's rte_ring running the same loops as the C#
 * benchmarks (same element size, burst size and item count), one call per benchmark invocation
 * so the P/Invoke cost is spread over all the items.
 *
 * The ring lives in aligned_alloc'd memory set up by rte_ring_init: no EAL, no memzone, no
 * hugepages (rte_ring_init only fills in the header; the enqueue/dequeue paths are inline code
 * from the headers, compiled here).
 *
 * Elements are 8 bytes (uint64_t) moved with the *_burst_elem calls of the mode the ring was
 * made for (sp/sc or mp/mc), so the mode is fixed at compile time as in the C# generic policies.
 */
/* ssize_t (used by rte_ring.h) is POSIX, hidden by -std=c11 without this. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#define RN_ANCHOR_ELEM_SIZE 8u
#define RN_ANCHOR_MAX_BURST 1024u

_Static_assert(sizeof(uint64_t) == RN_ANCHOR_ELEM_SIZE, "8-byte elements, like a C# long");

/* Creates a ring of `count` slots (a power of two; usable count - 1, rte_ring keeps one spare).
 * multi = 0: RING_F_SP_ENQ | RING_F_SC_DEQ; multi = 1: MP/MC. Returns NULL on failure. */
struct rte_ring *rn_anchor_ring_create(uint32_t count, int32_t multi)
{
	ssize_t size = rte_ring_get_memsize_elem(RN_ANCHOR_ELEM_SIZE, count);
	if (size < 0)
		return NULL;
	/* C11 aligned_alloc wants a size that is a multiple of the alignment. */
	size_t rounded = RTE_ALIGN_CEIL((size_t)size, (size_t)RTE_CACHE_LINE_SIZE);
	struct rte_ring *r = aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
	if (r == NULL)
		return NULL;
	unsigned int flags = multi ? 0u : (RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rte_ring_init(r, "rn_anchor", count, flags) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void rn_anchor_ring_free(struct rte_ring *r)
{
	free(r);
}

static inline __attribute__((always_inline)) unsigned int
enqueue_burst(struct rte_ring *r, const uint64_t *items, unsigned int n, const int multi)
{
	return multi ? rte_ring_mp_enqueue_burst_elem(r, items, RN_ANCHOR_ELEM_SIZE, n, NULL)
		     : rte_ring_sp_enqueue_burst_elem(r, items, RN_ANCHOR_ELEM_SIZE, n, NULL);
}

static inline __attribute__((always_inline)) unsigned int
dequeue_burst(struct rte_ring *r, uint64_t *items, unsigned int n, const int multi)
{
	return multi ? rte_ring_mc_dequeue_burst_elem(r, items, RN_ANCHOR_ELEM_SIZE, n, NULL)
		     : rte_ring_sc_dequeue_burst_elem(r, items, RN_ANCHOR_ELEM_SIZE, n, NULL);
}

/* One thread: enqueue a burst of `burst` items, dequeue up to `burst`, until `items` have gone
 * through. Returns the sum of the dequeued values (0 + 1 + ... + items - 1 when all is well). */
static inline __attribute__((always_inline)) uint64_t
single_thread(struct rte_ring *r, uint32_t burst, uint64_t items, const int multi)
{
	uint64_t buffer[RN_ANCHOR_MAX_BURST];
	uint64_t sum = 0;
	uint64_t done = 0;
	while (done < items) {
		uint64_t left = items - done;
		unsigned int n = left < burst ? (unsigned int)left : burst;
		for (unsigned int i = 0; i < n; i++)
			buffer[i] = done + i;
		unsigned int sent = enqueue_burst(r, buffer, n, multi);
		unsigned int got = dequeue_burst(r, buffer, burst, multi);
		for (unsigned int i = 0; i < got; i++)
			sum += buffer[i];
		done += sent;
	}
	return sum;
}

uint64_t rn_anchor_single_thread(struct rte_ring *r, uint32_t burst, uint64_t items, int32_t multi)
{
	if (burst == 0 || burst > RN_ANCHOR_MAX_BURST)
		return UINT64_MAX;
	return multi ? single_thread(r, burst, items, 1) : single_thread(r, burst, items, 0);
}

struct producer_args {
	struct rte_ring *ring;
	uint64_t items;
	uint32_t burst;
	int32_t multi;
};

/* Producer: bursts of values 0, 1, 2, ... retrying (busy, no pause) while the ring is full. */
static inline __attribute__((always_inline)) void
produce(struct rte_ring *r, uint32_t burst, uint64_t items, const int multi)
{
	uint64_t buffer[RN_ANCHOR_MAX_BURST];
	uint64_t sent = 0;
	while (sent < items) {
		uint64_t left = items - sent;
		unsigned int n = left < burst ? (unsigned int)left : burst;
		for (unsigned int i = 0; i < n; i++)
			buffer[i] = sent + i;
		sent += enqueue_burst(r, buffer, n, multi);
	}
}

static void *producer_main(void *arg)
{
	const struct producer_args *a = arg;
	if (a->multi)
		produce(a->ring, a->burst, a->items, 1);
	else
		produce(a->ring, a->burst, a->items, 0);
	return NULL;
}

/* Consumer (the calling thread): bursts of up to `burst`, busy retry while empty. */
static inline __attribute__((always_inline)) uint64_t
consume(struct rte_ring *r, uint32_t burst, uint64_t items, const int multi)
{
	uint64_t buffer[RN_ANCHOR_MAX_BURST];
	uint64_t sum = 0;
	uint64_t received = 0;
	while (received < items) {
		unsigned int got = dequeue_burst(r, buffer, burst, multi);
		for (unsigned int i = 0; i < got; i++)
			sum += buffer[i];
		received += got;
	}
	return sum;
}

/* Two threads: a new pthread produces `items` values while the caller consumes them; the C#
 * benchmark starts a new producer thread per invocation too. Returns the sum consumed, or
 * UINT64_MAX when the arguments are bad or the thread could not start. */
uint64_t rn_anchor_cross_thread(struct rte_ring *r, uint32_t burst, uint64_t items, int32_t multi)
{
	if (burst == 0 || burst > RN_ANCHOR_MAX_BURST)
		return UINT64_MAX;
	struct producer_args args = { .ring = r, .items = items, .burst = burst, .multi = multi };
	pthread_t producer;
	if (pthread_create(&producer, NULL, producer_main, &args) != 0)
		return UINT64_MAX;
	uint64_t sum = multi ? consume(r, burst, items, 1) : consume(r, burst, items, 0);
	pthread_join(producer, NULL);
	return sum;
}
