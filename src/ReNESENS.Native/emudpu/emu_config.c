/*
 * emu_config.c - the emulated DPU's open config string, "key=value;key=value":
 *   workers=N                     worker threads, 1..16 (default 1)
 *   spin=50us                     how long an idle worker spins before it sleeps (default 50us; 0 = sleep at once)
 *   fault=slow:5ms,lose:1/100,corrupt-status:1/50,reset-after:37
 * slow delays every completion; lose drops the completion of every Nth accepted descriptor;
 * corrupt-status posts every Nth with a status outside rn_dpu_status; reset-after resets the
 * device (once) when a worker reaches the Nth accepted descriptor, in the middle of its batch.
 */
#include "emu_internal.h"

#include <errno.h>
#include <string.h>

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

/* "5ms", "200us", "1s" (and "0") -> nanoseconds, at most a minute. */
static bool parse_duration(const char *s, size_t len, uint64_t *out)
{
    static const struct { const char *suffix; uint64_t ns; } units[] = {
        { "us", 1000ull }, { "ms", 1000000ull }, { "s", 1000000000ull } };
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
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
        return parse_duration(v, vlen, &f->slow_ns) && f->slow_ns > 0;
    if (klen == 4 && memcmp(s, "lose", 4) == 0)
        return parse_every(v, vlen, &f->lose_every);
    if (klen == 14 && memcmp(s, "corrupt-status", 14) == 0)
        return parse_every(v, vlen, &f->corrupt_every);
    if (klen == 11 && memcmp(s, "reset-after", 11) == 0)
        return parse_u64(v, vlen, &f->reset_after) && f->reset_after >= 1;
    return false;
}

int32_t emu_parse_config(const char *config, emu_config *out)
{
    memset(out, 0, sizeof *out);
    out->workers = 1;
    out->spin_ns = EMU_DEFAULT_SPIN_NS;
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
                out->workers = (uint32_t)n;
            } else if (klen == 4 && memcmp(p, "spin", 4) == 0) {
                if (!parse_duration(v, vlen, &out->spin_ns))
                    return -EINVAL;
            } else if (klen == 5 && memcmp(p, "fault", 5) == 0) {
                while (vlen > 0) {
                    const char *comma = memchr(v, ',', vlen);
                    size_t flen = comma != NULL ? (size_t)(comma - v) : vlen;
                    if (!parse_fault(v, flen, &out->faults))
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
