/*
 * emu_kernels.c - what the emulated DPU computes for one descriptor: bounds checks against the
 * region, then ISA-L CRCs, a table CRC64/NVMe (ISA-L 2.30 has no Rocksoft polynomial), NVMe
 * protection information, liblz4 and OpenSSL AES-256-XTS, alone or chained, and OpenSSL
 * AES-256-GCM.
 */
#include "emu_internal.h"

#include <isa-l/crc.h>
#include <lz4.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

#define EMU_GCM_NONCE 12u
#define EMU_GCM_TAG 16u

/* ---- CRC64/NVMe: reflected polynomial 0x9A6C9329AC4BC9B5, init and final xor all ones ---- */

static uint64_t crc64_table[256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x9A6C9329AC4BC9B5ull : c >> 1;
        crc64_table[i] = c;
    }
}

uint64_t emu_crc64_nvme(uint64_t previous, const uint8_t *data, size_t len)
{
    pthread_once(&crc64_once, crc64_build);
    uint64_t c = ~previous;
    for (size_t i = 0; i < len; i++)
        c = crc64_table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t crc32c(uint32_t previous, const uint8_t *data, size_t len)
{
    return ~crc32_iscsi((unsigned char *)data, (int)len, ~previous);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static bool in_region(uint64_t offset, uint64_t len, uint64_t size)
{
    return len <= size && offset <= size - len;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

/* A stage's outcome: status and, for PI, where it failed. */
typedef struct stage_result {
    int32_t status;
    uint32_t pi_block;
    uint8_t pi_field;
    uint64_t pi_expected;
    uint64_t pi_actual;
} stage_result;

static stage_result status_only(int32_t status)
{
    stage_result r = { status, 0, RN_DPU_PI_FIELD_NONE, 0, 0 };
    return r;
}

/* ---- protection information ---------------------------------------------------------------- */

typedef struct pi_layout {
    uint32_t block;   /* data bytes per block */
    uint32_t meta;    /* metadata bytes per block */
    uint32_t pi;      /* 8 or 16 */
    uint32_t at;      /* offset of the PI inside the metadata */
    int ref_bytes;    /* 4 or 6 */
    uint64_t ref_mask;
} pi_layout;

static bool pi_layout_of(const rn_dpu_desc *d, pi_layout *l)
{
    if (d->pi_format != RN_DPU_PI_GUARD16 && d->pi_format != RN_DPU_PI_GUARD64)
        return false;
    if (d->pi_type < 1 || d->pi_type > 3 || d->pi_location > RN_DPU_PI_LAST || d->meta_mode > RN_DPU_META_SEPARATE)
        return false;
    l->pi = d->pi_format == RN_DPU_PI_GUARD16 ? 8u : 16u;
    l->ref_bytes = d->pi_format == RN_DPU_PI_GUARD16 ? 4 : 6;
    l->ref_mask = d->pi_format == RN_DPU_PI_GUARD16 ? 0xFFFFFFFFull : 0xFFFFFFFFFFFFull;
    l->block = d->block_size;
    l->meta = d->meta_size;
    if (l->block == 0 || l->block > EMU_MAX_DATA || l->meta < l->pi)
        return false;
    l->at = d->pi_location == RN_DPU_PI_LAST ? l->meta - l->pi : 0;
    return true;
}

/* Guard over the block's data and, when the PI is last, the metadata bytes before it. */
static uint64_t pi_guard(const pi_layout *l, const uint8_t *data, const uint8_t *meta)
{
    if (l->pi == 8) {
        uint16_t g = crc16_t10dif(0, data, (uint64_t)l->block);
        return l->at > 0 ? crc16_t10dif(g, meta, (uint64_t)l->at) : g;
    }
    uint64_t g = emu_crc64_nvme(0, data, l->block);
    return l->at > 0 ? emu_crc64_nvme(g, meta, l->at) : g;
}

static uint64_t pi_ref_for(const rn_dpu_desc *d, const pi_layout *l, uint32_t block)
{
    uint64_t ref = d->pi_type == 3 ? d->initial_ref_tag : d->initial_ref_tag + block;
    return ref & l->ref_mask;
}

static void pi_write(const rn_dpu_desc *d, const pi_layout *l, uint32_t block, const uint8_t *data, uint8_t *meta)
{
    uint8_t *pi = meta + l->at;
    put_be(pi, pi_guard(l, data, meta), l->pi == 8 ? 2 : 8);
    put_be(pi + (l->pi == 8 ? 2 : 8), d->app_tag, 2);
    put_be(pi + (l->pi == 8 ? 4 : 10), pi_ref_for(d, l, block), l->ref_bytes);
}

/* 0 when the block passes, else the RN_DPU_PI_FIELD_* that failed first, with the values compared. */
static uint8_t pi_check(const rn_dpu_desc *d, const pi_layout *l, uint32_t block, const uint8_t *data, const uint8_t *meta,
                        uint64_t *expected, uint64_t *actual)
{
    const uint8_t *pi = meta + l->at;
    int guard_bytes = l->pi == 8 ? 2 : 8;
    uint64_t guard = get_be(pi, guard_bytes);
    uint16_t app = (uint16_t)get_be(pi + guard_bytes, 2);
    uint64_t ref = get_be(pi + guard_bytes + 2, l->ref_bytes);
    /* NVMe escapes: all-ones app tag (types 1, 2); all-ones app and ref tags (type 3). */
    if (app == 0xFFFF && (d->pi_type != 3 || ref == l->ref_mask))
        return RN_DPU_PI_FIELD_NONE;
    *actual = guard;
    if ((d->pi_checks & RN_DPU_PI_CHECK_GUARD) && guard != (*expected = pi_guard(l, data, meta)))
        return RN_DPU_PI_FIELD_GUARD;
    *expected = (uint64_t)(d->app_tag & d->app_tag_mask);
    *actual = (uint64_t)(app & d->app_tag_mask);
    if ((d->pi_checks & RN_DPU_PI_CHECK_APP) && *expected != *actual)
        return RN_DPU_PI_FIELD_APP;
    *expected = pi_ref_for(d, l, block);
    *actual = ref;
    if ((d->pi_checks & RN_DPU_PI_CHECK_REF) && d->pi_type != 3 && ref != *expected)
        return RN_DPU_PI_FIELD_REF;
    return RN_DPU_PI_FIELD_NONE;
}

/*
 * In place: interleaved, the PI goes into each extended block of `data`; separate, into `meta`.
 * Metadata bytes outside the PI are left as the host wrote them.
 */
static stage_result pi_generate(const rn_dpu_desc *d, uint8_t *data, uint32_t len, uint8_t *meta, uint64_t meta_len)
{
    pi_layout l;
    if (!pi_layout_of(d, &l))
        return status_only(RN_DPU_E_INVALID);
    bool separate = d->meta_mode == RN_DPU_META_SEPARATE;
    uint64_t stride = separate ? l.block : (uint64_t)l.block + l.meta;
    if (len % stride != 0)
        return status_only(RN_DPU_E_INVALID);
    uint32_t n = (uint32_t)(len / stride);
    if ((separate ? (uint64_t)n * l.meta : 0) != meta_len)
        return status_only(RN_DPU_E_INVALID);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *blk = data + i * stride;
        pi_write(d, &l, i, blk, separate ? meta + (uint64_t)i * l.meta : blk + l.block);
    }
    return status_only(RN_DPU_OK);
}

static stage_result pi_verify(const rn_dpu_desc *d, const uint8_t *in, uint32_t in_len, const uint8_t *meta, uint64_t meta_cap)
{
    pi_layout l;
    if (!pi_layout_of(d, &l))
        return status_only(RN_DPU_E_INVALID);
    bool separate = d->meta_mode == RN_DPU_META_SEPARATE;
    uint64_t stride = separate ? l.block : (uint64_t)l.block + l.meta;
    if (in_len % stride != 0)
        return status_only(RN_DPU_E_INVALID);
    uint32_t n = (uint32_t)(in_len / stride);
    if ((separate ? (uint64_t)n * l.meta : 0) != meta_cap)
        return status_only(RN_DPU_E_INVALID);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *data = in + i * stride;
        const uint8_t *m = separate ? meta + (uint64_t)i * l.meta : data + l.block;
        uint64_t expected = 0, actual = 0;
        uint8_t field = pi_check(d, &l, i, data, m, &expected, &actual);
        if (field != RN_DPU_PI_FIELD_NONE) {
            stage_result r = { RN_DPU_E_PI, i, field, expected, actual };
            return r;
        }
    }
    return status_only(RN_DPU_OK);
}

/* ---- LZ4 and XTS ------------------------------------------------------------------------- */

static stage_result lz4_run(bool compress, const uint8_t *in, uint32_t in_len, uint8_t *out, uint64_t out_cap, uint32_t *out_len)
{
    int cap = out_cap > (uint64_t)INT32_MAX ? INT32_MAX : (int)out_cap;
    if (compress) {
        int n = LZ4_compress_default((const char *)in, (char *)out, (int)in_len, cap);
        if (n <= 0)
            return status_only(RN_DPU_E_NOSPACE);
        *out_len = (uint32_t)n;
        return status_only(RN_DPU_OK);
    }
    int n = LZ4_decompress_safe((const char *)in, (char *)out, (int)in_len, cap);
    if (n < 0)
        return status_only(RN_DPU_E_CORRUPT);
    *out_len = (uint32_t)n;
    return status_only(RN_DPU_OK);
}

static stage_result xts_run(emu_worker *w, const rn_dpu_desc *d, bool encrypt, const uint8_t *in, uint32_t in_len,
                            uint8_t *out, uint64_t out_cap, uint32_t *out_len)
{
    uint32_t unit = d->crypto_unit == 0 ? in_len : d->crypto_unit;
    if (in_len > 0 && (unit < 16 || unit > EMU_XTS_MAX_UNIT || in_len % unit != 0))
        return status_only(RN_DPU_E_INVALID);
    if (in_len > out_cap)
        return status_only(RN_DPU_E_NOSPACE);
    *out_len = in_len;
    if (in_len == 0)
        return status_only(RN_DPU_OK);
    EVP_CIPHER_CTX *ctx = w->xts[encrypt];
    if (w->xts_handle[encrypt] != d->key_handle) {
        emu_key key;
        if (!emu_key_lookup(w->device, d->key_handle, RN_DPU_KEY_AES256_XTS, &key))
            return status_only(RN_DPU_E_KEY);
        int ok = EVP_CipherInit_ex(ctx, EVP_aes_256_xts(), NULL, key.bytes, NULL, encrypt ? 1 : 0);
        OPENSSL_cleanse(key.bytes, sizeof key.bytes);
        if (ok != 1) {
            w->xts_handle[encrypt] = 0;
            return status_only(RN_DPU_E_DEVICE);
        }
        w->xts_handle[encrypt] = d->key_handle;
    }
    uint8_t iv[16];
    uint64_t lba = d->lba;
    for (uint32_t off = 0; off < in_len; off += unit, lba++) {
        /* Tweak: the 128-bit little-endian data-unit number (the high half carries). */
        uint64_t hi = lba < d->lba ? 1 : 0;
        for (int i = 0; i < 8; i++) {
            iv[i] = (uint8_t)(lba >> (8 * i));
            iv[8 + i] = (uint8_t)(hi >> (8 * i));
        }
        int written = 0;
        if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1
            || EVP_CipherUpdate(ctx, out + off, &written, in + off, (int)unit) != 1 || (uint32_t)written != unit) {
            w->xts_handle[encrypt] = 0;
            return status_only(RN_DPU_E_DEVICE);
        }
    }
    return status_only(RN_DPU_OK);
}

/*
 * GCM: the nonce and (DECRYPT) the tag are copied out of the region before use, so what is
 * checked is what was read. The buffer rules were checked by the caller.
 */
static int32_t gcm_run(emu_worker *w, const rn_dpu_desc *d, bool encrypt, uint8_t *base)
{
    EVP_CIPHER_CTX *ctx = w->gcm[encrypt];
    if (w->gcm_handle[encrypt] != d->key_handle) {
        emu_key key;
        if (!emu_key_lookup(w->device, d->key_handle, RN_DPU_KEY_AES256_GCM, &key))
            return RN_DPU_E_KEY;
        /* The default GCM IV length is 12 bytes, the only one the ABI takes. */
        int ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key.bytes, NULL, encrypt ? 1 : 0);
        OPENSSL_cleanse(key.bytes, sizeof key.bytes);
        if (ok != 1) {
            w->gcm_handle[encrypt] = 0;
            return RN_DPU_E_DEVICE;
        }
        w->gcm_handle[encrypt] = d->key_handle;
    }
    uint8_t nonce[EMU_GCM_NONCE];
    uint8_t tag[EMU_GCM_TAG];
    memcpy(nonce, base + d->aux_offset, sizeof nonce);
    if (!encrypt)
        memcpy(tag, base + d->meta_offset, sizeof tag);
    const uint8_t *aad = base + d->aux_offset + EMU_GCM_NONCE;
    int aad_len = (int)(d->aux_len - EMU_GCM_NONCE);
    uint8_t *dst = base + d->dst_offset;
    int len = (int)d->src_len;
    int written = 0;
    uint8_t final_block[16];
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) != 1
        || (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &written, aad, aad_len) != 1)
        || (len > 0 && (EVP_CipherUpdate(ctx, dst, &written, base + d->src_offset, len) != 1 || written != len))) {
        w->gcm_handle[encrypt] = 0;
        return RN_DPU_E_DEVICE;
    }
    if (encrypt) {
        if (EVP_CipherFinal_ex(ctx, final_block, &written) != 1
            || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, EMU_GCM_TAG, tag) != 1) {
            w->gcm_handle[encrypt] = 0;
            return RN_DPU_E_DEVICE;
        }
        memcpy(base + d->meta_offset, tag, sizeof tag);
        return RN_DPU_OK;
    }
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, EMU_GCM_TAG, tag) != 1) {
        w->gcm_handle[encrypt] = 0;
        return RN_DPU_E_DEVICE;
    }
    if (EVP_CipherFinal_ex(ctx, final_block, &written) != 1) {
        /* A tag mismatch queues an OpenSSL error: an answer about the data, not a device failure. */
        ERR_clear_error();
        OPENSSL_cleanse(dst, (size_t)len);
        return RN_DPU_E_AUTH;
    }
    return RN_DPU_OK;
}

/* GCM's buffer rules: lengths, and no buffer the device writes overlapping another (dst == src aside). */
static int32_t gcm_check(const rn_dpu_desc *d, uint64_t size)
{
    if (d->dst_capacity != d->src_len || d->meta_len != EMU_GCM_TAG || d->aux_len < EMU_GCM_NONCE || d->aux_len > EMU_MAX_DATA)
        return RN_DPU_E_INVALID;
    if (!in_region(d->aux_offset, d->aux_len, size))
        return RN_DPU_E_RANGE;
    bool encrypt = d->op == RN_DPU_OP_GCM_ENCRYPT;
    bool in_place = d->src_offset == d->dst_offset;
    if ((!in_place && overlap(d->src_offset, d->src_len, d->dst_offset, d->dst_capacity))
        || overlap(d->dst_offset, d->dst_capacity, d->aux_offset, d->aux_len)
        || overlap(d->dst_offset, d->dst_capacity, d->meta_offset, d->meta_len)
        || (encrypt && (overlap(d->meta_offset, d->meta_len, d->src_offset, d->src_len)
                        || overlap(d->meta_offset, d->meta_len, d->aux_offset, d->aux_len))))
        return RN_DPU_E_RANGE;
    return RN_DPU_OK;
}

/* ---- one stage, one descriptor ------------------------------------------------------------- */

static bool produces(uint8_t op)
{
    return op != RN_DPU_OP_PI_GENERATE && op != RN_DPU_OP_PI_VERIFY;
}

/* A stage of a descriptor: `in` is src (writable region memory) or a worker's scratch. */
static stage_result run_stage(emu_worker *w, const rn_dpu_desc *d, uint8_t op, bool chained, uint8_t *in, uint32_t in_len,
                              uint8_t *out, uint64_t out_cap, uint8_t *meta, uint32_t *out_len, uint64_t *lz4_len)
{
    stage_result r;
    switch (op) {
    case RN_DPU_OP_PI_GENERATE:
        return pi_generate(d, in, in_len, meta, d->meta_len);
    case RN_DPU_OP_PI_VERIFY:
        return pi_verify(d, in, in_len, meta, d->meta_len);
    case RN_DPU_OP_LZ4_COMPRESS:
        r = lz4_run(true, in, in_len, out, out_cap, out_len);
        if (r.status == RN_DPU_OK && chained) {
            *lz4_len = *out_len;
            if (*out_len < 16) {
                if (out_cap < 16)
                    return status_only(RN_DPU_E_NOSPACE);
                memset(out + *out_len, 0, 16 - *out_len);
                *out_len = 16;
            }
        }
        return r;
    case RN_DPU_OP_LZ4_DECOMPRESS:
        if (chained && d->compressed_len != 0) {
            if (d->compressed_len > in_len)
                return status_only(RN_DPU_E_INVALID);
            in_len = d->compressed_len;
        }
        r = lz4_run(false, in, in_len, out, out_cap, out_len);
        if (r.status == RN_DPU_OK && chained) {
            *lz4_len = in_len;
            if (*out_len != d->dst_capacity)
                return status_only(RN_DPU_E_CORRUPT);
        }
        return r;
    case RN_DPU_OP_XTS_ENCRYPT:
    case RN_DPU_OP_XTS_DECRYPT:
        return xts_run(w, d, op == RN_DPU_OP_XTS_ENCRYPT, in, in_len, out, out_cap, out_len);
    default:
        return status_only(RN_DPU_E_INVALID);
    }
}

static bool reserved_zero(const rn_dpu_desc *d)
{
    if (d->reserved_14 != 0 || d->reserved_120 != 0)
        return false;
    for (size_t i = 0; i < sizeof d->reserved_99; i++)
        if (d->reserved_99[i] != 0)
            return false;
    return true;
}

void emu_execute(emu_worker *w, const rn_dpu_desc *d, uint8_t *base, uint64_t size, rn_dpu_completion *c)
{
    memset(c, 0, sizeof *c);
    c->cookie = d->cookie;
    if (d->op >= RN_DPU_OP_COUNT || !reserved_zero(d) || d->src_len > EMU_MAX_DATA || d->dst_capacity > EMU_MAX_DATA) {
        c->status = RN_DPU_E_INVALID;
        return;
    }
    if (d->op == RN_DPU_OP_NOP)
        return;
    if (!in_region(d->src_offset, d->src_len, size) || !in_region(d->dst_offset, d->dst_capacity, size)
        || !in_region(d->meta_offset, d->meta_len, size)) {
        c->status = RN_DPU_E_RANGE;
        return;
    }
    uint8_t *src = base + d->src_offset;
    if (d->op == RN_DPU_OP_GCM_ENCRYPT || d->op == RN_DPU_OP_GCM_DECRYPT) {
        c->status = gcm_check(d, size);
        if (c->status == RN_DPU_OK)
            c->status = gcm_run(w, d, d->op == RN_DPU_OP_GCM_ENCRYPT, base);
        c->bytes = c->status == RN_DPU_OK ? d->src_len : 0;
        return;
    }
    switch (d->op) {
    case RN_DPU_OP_CRC32C:
        c->result = crc32c((uint32_t)d->crc_seed, src, d->src_len);
        return;
    case RN_DPU_OP_CRC64_NVME:
        c->result = emu_crc64_nvme(d->crc_seed, src, d->src_len);
        return;
    case RN_DPU_OP_CRC16_T10DIF:
        c->result = crc16_t10dif((uint16_t)d->crc_seed, src, d->src_len);
        return;
    default:
        break;
    }

    bool chained = d->op == RN_DPU_OP_CHAIN;
    uint8_t ops[RN_DPU_MAX_CHAIN];
    uint32_t stages = 1;
    ops[0] = d->op;
    if (chained) {
        if (d->chain_len < 1 || d->chain_len > RN_DPU_MAX_CHAIN) {
            c->status = RN_DPU_E_INVALID;
            return;
        }
        stages = d->chain_len;
        for (uint32_t i = 0; i < stages; i++) {
            ops[i] = d->chain_ops[i];
            if (ops[i] < RN_DPU_OP_PI_GENERATE || ops[i] > RN_DPU_OP_XTS_DECRYPT) {
                c->status = RN_DPU_E_INVALID;
                return;
            }
        }
    }

    uint32_t last_producer = stages;
    bool writes_in = false;
    for (uint32_t i = 0; i < stages; i++) {
        if (produces(ops[i]))
            last_producer = i;
        writes_in |= ops[i] == RN_DPU_OP_PI_GENERATE;
    }

    /* A buffer the device writes never overlaps another it uses, except XTS exactly in place. */
    bool writes_dst = last_producer < stages;
    bool xts_in_place = stages == 1 && (ops[0] == RN_DPU_OP_XTS_ENCRYPT || ops[0] == RN_DPU_OP_XTS_DECRYPT)
                        && d->src_offset == d->dst_offset;
    if ((writes_dst && !xts_in_place && overlap(d->src_offset, d->src_len, d->dst_offset, d->dst_capacity))
        || ((writes_dst || writes_in) && overlap(d->meta_offset, d->meta_len, d->dst_offset, d->dst_capacity))
        || (writes_in && overlap(d->meta_offset, d->meta_len, d->src_offset, d->src_len))
        || (writes_in && writes_dst && overlap(d->src_offset, d->src_len, d->dst_offset, d->dst_capacity))) {
        c->status = RN_DPU_E_RANGE;
        return;
    }

    uint8_t *dst = base + d->dst_offset;
    uint8_t *meta = base + d->meta_offset;
    uint8_t *in = src;
    uint32_t in_len = d->src_len;
    uint64_t lz4_len = 0;
    int next = 0;
    for (uint32_t i = 0; i < stages; i++) {
        bool to_dst = i == last_producer;
        uint8_t *out = to_dst ? dst : w->scratch[next];
        uint64_t cap = to_dst ? d->dst_capacity : EMU_SCRATCH_SIZE;
        uint32_t out_len = 0;
        stage_result r = run_stage(w, d, ops[i], chained, in, in_len, out, cap, meta, &out_len, &lz4_len);
        if (r.status != RN_DPU_OK) {
            c->status = r.status;
            c->pi_error_block = r.pi_block;
            c->pi_error_field = r.pi_field;
            c->pi_expected = r.pi_expected;
            c->pi_actual = r.pi_actual;
            c->stage = (uint8_t)i;
            return;
        }
        if (produces(ops[i])) {
            in = out;
            in_len = out_len;
            next ^= 1;
        }
    }
    c->bytes = writes_dst ? in_len : 0;
    if (chained)
        c->result = lz4_len;
}
