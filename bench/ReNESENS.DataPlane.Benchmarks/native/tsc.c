/*
 * The time-stamp counter for the benchmarks' own cycle counts: what dpdk-testpmd's
 * --record-core-cycles reads (rte_rdtsc), so a poll loop of ours is bracketed the same way.
 * clock_gettime, behind Stopwatch.GetTimestamp, costs twice as much on this VM.
 */
#include <stdint.h>
#include <x86intrin.h>

uint64_t bench_tsc(void)
{
    return __rdtsc();
}
