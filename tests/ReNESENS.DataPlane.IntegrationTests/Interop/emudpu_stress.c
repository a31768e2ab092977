/*
 * emudpu_stress.c - a stress driver for the emulated DPU's lock-free rings, built with the
 * emulator's sources by EmulatedDeviceStressTests (once optimised, once with ThreadSanitizer).
 *
 * Two host threads, each with its own queue pair of depth 64 on one device of 4 workers, submit
 * CRC32C descriptors in random batches of 1..40 and poll random amounts of 1..64; one of them also
 * resets the whole device 20 times at random moments (so the other learns of resets it did not
 * ask for). Every descriptor has its own cookie. Checked: every completion names a descriptor in
 * flight (never one that completed, was dropped by a reset or was never submitted), has status OK
 * and the CRC of its own buffer; after each -ECONNRESET, what was in flight never completes; at the
 * end every descriptor either completed once or was dropped by a reset. Usage: emudpu_stress OPS.
 */
#include "renesens_dpu.h"

#include <errno.h>
#include <isa-l/crc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DEPTH 64u
#define BUFFERS 1000u
#define BUFFER_SIZE 64u

enum { UNSENT, IN_FLIGHT, DONE, DROPPED };

typedef struct host_ctx {
    int id;
    int resets;
    long done, dropped, failures;
} host_ctx;

static rn_dpu_device *device;
static int region_fd;
static uint8_t *region;
static const uint64_t region_size = 1 << 20;
static uint64_t ops;
static uint32_t expected_crc[BUFFERS];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long drop_in_flight(uint8_t *state, uint64_t next)
{
    long n = 0;
    for (uint64_t k = 0; k < next; k++) {
        if (state[k] == IN_FLIGHT) {
            state[k] = DROPPED;
            n++;
        }
    }
    return n;
}

static void *host(void *arg)
{
    host_ctx *c = arg;
    rn_dpu_qp *qp;
    if (rn_dpu_qp_create(device, region_fd, region_size, DEPTH, &qp) != 0) {
        c->failures++;
        return NULL;
    }
    uint8_t *state = calloc(ops, 1);
    unsigned seed = (unsigned)c->id * 7919u;
    uint64_t next = 0;
    long in_flight = 0;
    rn_dpu_desc d[40];
    rn_dpu_completion out[64];
    double deadline = now_s() + 60;
    while ((next < ops || in_flight > 0) && c->failures == 0) {
        if (now_s() > deadline) {
            fprintf(stderr, "host %d: %ld descriptors never completed\n", c->id, in_flight);
            c->failures++;
            break;
        }
        if (next < ops) {
            uint32_t n = 1 + rand_r(&seed) % 40;
            if (n > ops - next)
                n = (uint32_t)(ops - next);
            memset(d, 0, sizeof d);
            for (uint32_t i = 0; i < n; i++) {
                d[i].cookie = next + i;
                d[i].op = RN_DPU_OP_CRC32C;
                d[i].src_offset = ((next + i) % BUFFERS) * BUFFER_SIZE;
                d[i].src_len = BUFFER_SIZE;
            }
            int rc = rn_dpu_submit(qp, d, n);
            if (rc == -ECONNRESET) {
                long dropped = drop_in_flight(state, next);
                c->dropped += dropped;
                in_flight -= dropped;
            } else if (rc < 0) {
                fprintf(stderr, "host %d: rn_dpu_submit: %d\n", c->id, rc);
                c->failures++;
            } else {
                for (int i = 0; i < rc; i++)
                    state[next + i] = IN_FLIGHT;
                next += (uint64_t)rc;
                in_flight += rc;
            }
        }
        int rc = rn_dpu_poll(qp, out, 1 + rand_r(&seed) % 64);
        if (rc == -ECONNRESET) {
            long dropped = drop_in_flight(state, next);
            c->dropped += dropped;
            in_flight -= dropped;
        } else if (rc < 0) {
            fprintf(stderr, "host %d: rn_dpu_poll: %d\n", c->id, rc);
            c->failures++;
        }
        for (int i = 0; i < rc; i++) {
            uint64_t k = out[i].cookie;
            if (k >= next || state[k] != IN_FLIGHT || out[i].status != RN_DPU_OK || out[i].result != expected_crc[k % BUFFERS]) {
                fprintf(stderr, "host %d: bad completion: cookie %llu (state %d) status %d result 0x%llx\n", c->id,
                        (unsigned long long)k, k < next ? state[k] : -1, out[i].status, (unsigned long long)out[i].result);
                c->failures++;
                continue;
            }
            state[k] = DONE;
            c->done++;
            in_flight--;
        }
        if (c->resets > 0 && rand_r(&seed) % 5000 == 0) {
            if (rn_dpu_reset(device) != 0)
                c->failures++;
            c->resets--;
        }
    }
    free(state);
    if (rn_dpu_qp_destroy(qp) != 0)
        c->failures++;
    return NULL;
}

int main(int argc, char **argv)
{
    ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    if (ops == 0 || rn_dpu_open("workers=4;spin=20us", &device) != 0)
        return 2;
    region_fd = memfd_create("emudpu-stress", MFD_CLOEXEC);
    if (region_fd < 0 || ftruncate(region_fd, (off_t)region_size) != 0)
        return 2;
    region = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd, 0);
    if (region == MAP_FAILED)
        return 2;
    for (uint32_t b = 0; b < BUFFERS; b++) {
        for (uint32_t i = 0; i < BUFFER_SIZE; i++)
            region[b * BUFFER_SIZE + i] = (uint8_t)(b * 31 + i * 7);
        expected_crc[b] = ~crc32_iscsi(region + b * BUFFER_SIZE, BUFFER_SIZE, 0xFFFFFFFFu);
    }
    pthread_t threads[2];
    host_ctx hosts[2] = { { .id = 1, .resets = 20 }, { .id = 2, .resets = 0 } };
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, host, &hosts[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    long failures = 0;
    for (int i = 0; i < 2; i++) {
        printf("host %d: %ld completed, %ld dropped by resets, %ld failures\n", hosts[i].id, hosts[i].done, hosts[i].dropped, hosts[i].failures);
        failures += hosts[i].failures;
        if (hosts[i].done + hosts[i].dropped != (long)ops)
            failures++;
    }
    munmap(region, region_size);
    close(region_fd);
    if (rn_dpu_close(device) != 0)
        failures++;
    return failures == 0 ? 0 : 1;
}
