/*
 * renesens_dpu.h - the offload device ABI between ReNESENS.DataPlane and a board runtime.
 *
 * A board runtime is a shared library that exports the rn_dpu_* functions below. The host
 * loads it with dlopen by a configurable name, checks rn_dpu_abi_version() first and refuses
 * a runtime whose version differs from RN_DPU_ABI_VERSION. docs/device-abi.md explains each
 * call for board vendors, with a worked example.
 *
 * Version 2 (this one) adds AES-256-GCM to version 1: RN_DPU_OP_GCM_ENCRYPT/DECRYPT, the aux
 * buffer of a descriptor (aux_len at 108 and aux_offset at 112, reserved in version 1), key types
 * in rn_dpu_key_load, and RN_DPU_E_AUTH.
 *
 * Data never crosses this boundary by copy: the host creates a queue pair on a shared memory
 * region (a memfd, given as file descriptor + size); the runtime maps it and every descriptor
 * addresses its buffers by offset in that region. Keys are loaded once and named by handle.
 *
 * Every function returns 0 (or a non-negative count) on success and a negative errno value on
 * failure. Every struct has a fixed size with explicit reserved fields (which must be zero); the
 * _Static_asserts at the end of this file and a C# test on the host side pin every offset.
 */
#ifndef RENESENS_DPU_H
#define RENESENS_DPU_H

#include <stddef.h>
#include <stdint.h>

#define RN_DPU_EXPORT __attribute__((visibility("default")))

/* Bumped on any incompatible change of a struct, a function or a semantic below. */
#define RN_DPU_ABI_VERSION 2u

/* ---- operations ------------------------------------------------------------------------ */

/* rn_dpu_desc.op and chain_ops[]. A device advertises op `o` with bit (1 << o) in op_mask. */
enum rn_dpu_op {
    RN_DPU_OP_NOP = 0,             /* completes with status OK; touches no memory */
    RN_DPU_OP_CRC32C = 1,          /* result = CRC32C (Castagnoli, iSCSI) of src, continued from crc_seed */
    RN_DPU_OP_CRC64_NVME = 2,      /* result = CRC64/NVMe (Rocksoft polynomial) of src, continued from crc_seed */
    RN_DPU_OP_CRC16_T10DIF = 3,    /* result = CRC16/T10-DIF of src, continued from crc_seed */
    RN_DPU_OP_PI_GENERATE = 4,     /* NVMe protection information for each block of src, written in place */
    RN_DPU_OP_PI_VERIFY = 5,       /* checks the protection information of each block */
    RN_DPU_OP_LZ4_COMPRESS = 6,    /* LZ4 block format (no frame, no size prefix) */
    RN_DPU_OP_LZ4_DECOMPRESS = 7,
    RN_DPU_OP_XTS_ENCRYPT = 8,     /* AES-256-XTS, data unit = crypto_unit, tweak = lba + unit index */
    RN_DPU_OP_XTS_DECRYPT = 9,
    RN_DPU_OP_CHAIN = 10,          /* chain_len stages from chain_ops[], output of one feeds the next (rules below) */
    RN_DPU_OP_GCM_ENCRYPT = 11,    /* AES-256-GCM seal (rules below); not in chains */
    RN_DPU_OP_GCM_DECRYPT = 12,    /* AES-256-GCM open */
    RN_DPU_OP_COUNT = 13
};

#define RN_DPU_MAX_CHAIN 4

/*
 * Chains. PI_GENERATE writes in place (into src's extended blocks, or into the metadata buffer)
 * and PI_VERIFY only reads: both pass their input on unchanged. Every other stage produces a new
 * buffer; the last producing stage writes dst, earlier ones device-internal memory. Inside a chain
 * (and only there):
 *   - LZ4_COMPRESS zero-pads its output to 16 bytes when shorter (the XTS minimum), and the
 *     completion's `result` is the unpadded compressed length;
 *   - LZ4_DECOMPRESS reads only the first `compressed_len` bytes of its input (0 = all of it),
 *     and must produce exactly dst_capacity bytes, else the chain fails with RN_DPU_E_CORRUPT;
 *   - XTS with crypto_unit 0 treats its whole input as one data unit (16 bytes .. 16 MiB).
 */

/*
 * GCM (SP 800-38D, 96-bit nonce, 128-bit tag), with a key of type RN_DPU_KEY_AES256_GCM: src into dst
 * (dst_capacity == src_len; dst may be src exactly, else apart from it), the 16-byte tag at meta_offset
 * (meta_len == 16; ENCRYPT writes it, DECRYPT checks it), and at aux_offset aux_len >= 12 bytes: the
 * nonce, then the associated data. A tag that does not verify completes DECRYPT with RN_DPU_E_AUTH and
 * dst all zeros. The buffers the device writes (dst, and the tag for ENCRYPT) overlap no other buffer,
 * dst == src excepted, else RN_DPU_E_RANGE. The completion's bytes is src_len.
 */

/* Key types for rn_dpu_key_load. A descriptor naming a key of another type completes with RN_DPU_E_KEY. */
enum rn_dpu_key_type {
    RN_DPU_KEY_AES256_XTS = 1, /* 64 bytes: data key then tweak key (the halves must differ) */
    RN_DPU_KEY_AES256_GCM = 2  /* 32 bytes */
};

/* Protection information formats (rn_dpu_desc.pi_format). */
enum rn_dpu_pi_format {
    RN_DPU_PI_NONE = 0,
    RN_DPU_PI_GUARD16 = 1, /* 8 bytes: CRC16/T10-DIF guard, 16-bit app tag, 32-bit ref tag (big endian) */
    RN_DPU_PI_GUARD64 = 2  /* 16 bytes: CRC64/NVMe guard, 16-bit app tag, 48-bit ref tag (big endian, no storage tag) */
};

/* rn_dpu_desc.pi_checks bits (NVMe PRCHK). */
#define RN_DPU_PI_CHECK_GUARD 1u
#define RN_DPU_PI_CHECK_APP 2u
#define RN_DPU_PI_CHECK_REF 4u

/* rn_dpu_desc.pi_location */
#define RN_DPU_PI_FIRST 0u /* PI in the first bytes of each block's metadata */
#define RN_DPU_PI_LAST 1u  /* PI in the last bytes; the guard then also covers the metadata before it */

/* Reference tags: types 1 and 2 use initial_ref_tag + block index, type 3 initial_ref_tag for
 * every block and never checks it. Escapes: app tag 0xFFFF (types 1, 2), or app tag 0xFFFF and an
 * all-ones ref tag (type 3), disable every check of the block. Checks run guard, app, ref. */

/* rn_dpu_desc.meta_mode */
#define RN_DPU_META_INTERLEAVED 0u /* extended blocks in src: block_size data bytes then meta_size metadata bytes */
#define RN_DPU_META_SEPARATE 1u    /* data in src, meta_len = blocks * meta_size bytes at meta_offset */

/* ---- completion status ----------------------------------------------------------------- */

enum rn_dpu_status {
    RN_DPU_OK = 0,
    RN_DPU_E_INVALID = 1,     /* malformed descriptor: unknown op, bad lengths, sizes or PI settings */
    RN_DPU_E_RANGE = 2,       /* a buffer lies (partly) outside the queue pair's region, or buffers overlap */
    RN_DPU_E_NOSPACE = 3,     /* the output does not fit in dst_capacity (or a chain's intermediate) */
    RN_DPU_E_CORRUPT = 4,     /* LZ4 input is malformed */
    RN_DPU_E_PI = 5,          /* a PI check failed: pi_error_block and pi_error_field say where */
    RN_DPU_E_KEY = 6,         /* key_handle names no loaded key, or one of another type */
    RN_DPU_E_UNSUPPORTED = 7, /* the op is not in op_mask */
    RN_DPU_E_DEVICE = 8,      /* the device failed the descriptor for a reason of its own */
    RN_DPU_E_AUTH = 9         /* GCM_DECRYPT: the tag does not verify; dst is all zeros */
};

/* rn_dpu_completion.pi_error_field */
#define RN_DPU_PI_FIELD_NONE 0u
#define RN_DPU_PI_FIELD_GUARD 1u
#define RN_DPU_PI_FIELD_APP 2u
#define RN_DPU_PI_FIELD_REF 3u

/* ---- structs --------------------------------------------------------------------------- */

/* rn_dpu_device_info.flags */
#define RN_DPU_DEVICE_EMULATED 1u /* not a board: a software emulation of one */

typedef struct rn_dpu_device_info {
    uint32_t abi_version;     /* RN_DPU_ABI_VERSION the runtime implements */
    uint32_t device_version;  /* the runtime's/firmware's own version */
    uint64_t op_mask;         /* bit (1 << op) for every supported rn_dpu_op */
    uint32_t max_queue_pairs;
    uint32_t max_queue_depth; /* descriptors in flight per queue pair */
    uint32_t max_data_size;   /* largest src_len / dst_capacity of one descriptor */
    uint32_t flags;           /* RN_DPU_DEVICE_* */
    char name[64];            /* NUL-terminated, e.g. "Kalray MPPA Coolidge" */
    uint64_t reserved_96[4];
} rn_dpu_device_info;

/*
 * One operation. Lengths and offsets are bytes inside the queue pair's region. Fields an op
 * does not use are ignored (reserved fields must be zero).
 */
typedef struct rn_dpu_desc {
    uint64_t cookie;          /* returned unchanged in the completion */
    uint8_t op;               /* rn_dpu_op */
    uint8_t chain_len;        /* RN_DPU_OP_CHAIN: number of stages, 1..RN_DPU_MAX_CHAIN */
    uint8_t chain_ops[RN_DPU_MAX_CHAIN]; /* RN_DPU_OP_CHAIN: PI, LZ4 and XTS ops, run in order */
    uint16_t reserved_14;
    uint64_t src_offset;
    uint64_t dst_offset;
    uint64_t meta_offset;     /* RN_DPU_META_SEPARATE: per-block metadata, meta_len bytes; GCM: the tag */
    uint64_t lba;             /* XTS: tweak of the first data unit */
    uint64_t crc_seed;        /* CRC ops: a previous result to continue from, 0 to start */
    uint64_t initial_ref_tag; /* PI: reference tag of the first block (32 or 48 bits used) */
    uint32_t src_len;
    uint32_t dst_capacity;
    uint32_t meta_len;
    uint32_t key_handle;      /* XTS, GCM: from rn_dpu_key_load */
    uint32_t block_size;      /* PI: data bytes per logical block */
    uint32_t crypto_unit;     /* XTS: data-unit size (16..16 MiB); 0 = the whole buffer is one unit */
    uint16_t app_tag;         /* PI: expected/generated application tag */
    uint16_t app_tag_mask;    /* PI: bits of app_tag that are checked */
    uint16_t meta_size;       /* PI: metadata bytes per block (>= 8 or 16 by format) */
    uint8_t pi_format;        /* rn_dpu_pi_format */
    uint8_t pi_type;          /* 1, 2 or 3 */
    uint8_t pi_checks;        /* RN_DPU_PI_CHECK_* */
    uint8_t pi_location;      /* RN_DPU_PI_FIRST / RN_DPU_PI_LAST */
    uint8_t meta_mode;        /* RN_DPU_META_INTERLEAVED / RN_DPU_META_SEPARATE */
    uint8_t reserved_99[5];
    uint32_t compressed_len;  /* chains: LZ4 input bytes to decompress, 0 = all */
    uint32_t aux_len;         /* GCM: bytes at aux_offset (12-byte nonce, then the associated data) */
    uint64_t aux_offset;
    uint64_t reserved_120;
} rn_dpu_desc;

typedef struct rn_dpu_completion {
    uint64_t cookie;          /* the descriptor's cookie */
    uint64_t result;          /* CRC ops: the CRC; chains: the LZ4 stage's output length; else 0 */
    uint32_t bytes;           /* bytes written to dst (0 when nothing was) */
    int32_t status;           /* rn_dpu_status */
    uint32_t pi_error_block;  /* RN_DPU_E_PI: index of the first failing block */
    uint8_t pi_error_field;   /* RN_DPU_E_PI: RN_DPU_PI_FIELD_* */
    uint8_t stage;            /* RN_DPU_OP_CHAIN: index of the stage that failed */
    uint16_t reserved_30;
    uint64_t pi_expected;     /* RN_DPU_E_PI: the value the field should hold (app tag: masked) */
    uint64_t pi_actual;       /* RN_DPU_E_PI: the value found (app tag: masked) */
} rn_dpu_completion;

typedef struct rn_dpu_device rn_dpu_device; /* opaque */
typedef struct rn_dpu_qp rn_dpu_qp;         /* opaque */

/* ---- functions ------------------------------------------------------------------------- */

/* RN_DPU_ABI_VERSION of the runtime. The host calls nothing else if it differs. */
RN_DPU_EXPORT uint32_t rn_dpu_abi_version(void);

/* Opens the device. `config` is a runtime-specific "key=value;key=value" string (may be empty). */
RN_DPU_EXPORT int32_t rn_dpu_open(const char *config, rn_dpu_device **out_device);
RN_DPU_EXPORT int32_t rn_dpu_query(rn_dpu_device *device, rn_dpu_device_info *out_info);

/*
 * Creates a queue pair over the shared region behind `region_fd` (`region_size` bytes from
 * offset 0). The runtime maps (or dups) the descriptor itself; the host may close its copy.
 * `depth` (1..max_queue_depth) bounds descriptors in flight: submitted but not yet polled.
 * A queue pair is used by one host thread at a time.
 */
RN_DPU_EXPORT int32_t rn_dpu_qp_create(rn_dpu_device *device, int32_t region_fd, uint64_t region_size,
                                       uint32_t depth, rn_dpu_qp **out_qp);
RN_DPU_EXPORT int32_t rn_dpu_qp_destroy(rn_dpu_qp *qp);

/* Loads a key of `key_type` (rn_dpu_key_type: its length and rules are listed there). */
RN_DPU_EXPORT int32_t rn_dpu_key_load(rn_dpu_device *device, uint32_t key_type, const uint8_t *key,
                                      uint32_t key_len, uint32_t *out_handle);
/* Destroys a key; descriptors already accepted that name it still complete with it. */
RN_DPU_EXPORT int32_t rn_dpu_key_destroy(rn_dpu_device *device, uint32_t handle);

/*
 * Submits up to `count` descriptors, which the runtime copies before returning (it reads each
 * descriptor once: the host may reuse the array as soon as the call returns). Returns how
 * many were accepted (the first n; fewer when the queue is full), or -errno. After a device
 * reset that this queue pair has not yet reported, returns -ECONNRESET (and reports it) as
 * rn_dpu_poll does, so the host learns of a reset before it submits anything after it.
 */
RN_DPU_EXPORT int32_t rn_dpu_submit(rn_dpu_qp *qp, const rn_dpu_desc *descs, uint32_t count);

/*
 * Writes up to `max` completions, in any order. Returns their number, or -ECONNRESET once
 * after a device reset (its own or rn_dpu_reset's): every descriptor accepted before the reset
 * and not yet polled is then dropped (it will never complete, and the runtime no longer touches
 * its buffers), and the queue pair accepts new descriptors again.
 */
RN_DPU_EXPORT int32_t rn_dpu_poll(rn_dpu_qp *qp, rn_dpu_completion *out, uint32_t max);

/*
 * Resets the device on the host's request: as above, every descriptor accepted and not yet
 * polled on every queue pair is dropped; when this returns, the runtime touches none of their
 * buffers. Queue pairs and keys survive.
 */
RN_DPU_EXPORT int32_t rn_dpu_reset(rn_dpu_device *device);

/* Closes the device; its queue pairs must have been destroyed. Keys are wiped. */
RN_DPU_EXPORT int32_t rn_dpu_close(rn_dpu_device *device);

/* ---- layout checks (mirrored by a C# test on the host side) ---------------------------- */

_Static_assert(sizeof(rn_dpu_device_info) == 128, "rn_dpu_device_info size");
_Static_assert(offsetof(rn_dpu_device_info, abi_version) == 0, "abi_version");
_Static_assert(offsetof(rn_dpu_device_info, device_version) == 4, "device_version");
_Static_assert(offsetof(rn_dpu_device_info, op_mask) == 8, "op_mask");
_Static_assert(offsetof(rn_dpu_device_info, max_queue_pairs) == 16, "max_queue_pairs");
_Static_assert(offsetof(rn_dpu_device_info, max_queue_depth) == 20, "max_queue_depth");
_Static_assert(offsetof(rn_dpu_device_info, max_data_size) == 24, "max_data_size");
_Static_assert(offsetof(rn_dpu_device_info, flags) == 28, "flags");
_Static_assert(offsetof(rn_dpu_device_info, name) == 32, "name");
_Static_assert(offsetof(rn_dpu_device_info, reserved_96) == 96, "reserved_96");

_Static_assert(sizeof(rn_dpu_desc) == 128, "rn_dpu_desc size");
_Static_assert(offsetof(rn_dpu_desc, cookie) == 0, "cookie");
_Static_assert(offsetof(rn_dpu_desc, op) == 8, "op");
_Static_assert(offsetof(rn_dpu_desc, chain_len) == 9, "chain_len");
_Static_assert(offsetof(rn_dpu_desc, chain_ops) == 10, "chain_ops");
_Static_assert(offsetof(rn_dpu_desc, reserved_14) == 14, "reserved_14");
_Static_assert(offsetof(rn_dpu_desc, src_offset) == 16, "src_offset");
_Static_assert(offsetof(rn_dpu_desc, dst_offset) == 24, "dst_offset");
_Static_assert(offsetof(rn_dpu_desc, meta_offset) == 32, "meta_offset");
_Static_assert(offsetof(rn_dpu_desc, lba) == 40, "lba");
_Static_assert(offsetof(rn_dpu_desc, crc_seed) == 48, "crc_seed");
_Static_assert(offsetof(rn_dpu_desc, initial_ref_tag) == 56, "initial_ref_tag");
_Static_assert(offsetof(rn_dpu_desc, src_len) == 64, "src_len");
_Static_assert(offsetof(rn_dpu_desc, dst_capacity) == 68, "dst_capacity");
_Static_assert(offsetof(rn_dpu_desc, meta_len) == 72, "meta_len");
_Static_assert(offsetof(rn_dpu_desc, key_handle) == 76, "key_handle");
_Static_assert(offsetof(rn_dpu_desc, block_size) == 80, "block_size");
_Static_assert(offsetof(rn_dpu_desc, crypto_unit) == 84, "crypto_unit");
_Static_assert(offsetof(rn_dpu_desc, app_tag) == 88, "app_tag");
_Static_assert(offsetof(rn_dpu_desc, app_tag_mask) == 90, "app_tag_mask");
_Static_assert(offsetof(rn_dpu_desc, meta_size) == 92, "meta_size");
_Static_assert(offsetof(rn_dpu_desc, pi_format) == 94, "pi_format");
_Static_assert(offsetof(rn_dpu_desc, pi_type) == 95, "pi_type");
_Static_assert(offsetof(rn_dpu_desc, pi_checks) == 96, "pi_checks");
_Static_assert(offsetof(rn_dpu_desc, pi_location) == 97, "pi_location");
_Static_assert(offsetof(rn_dpu_desc, meta_mode) == 98, "meta_mode");
_Static_assert(offsetof(rn_dpu_desc, reserved_99) == 99, "reserved_99");
_Static_assert(offsetof(rn_dpu_desc, compressed_len) == 104, "compressed_len");
_Static_assert(offsetof(rn_dpu_desc, aux_len) == 108, "aux_len");
_Static_assert(offsetof(rn_dpu_desc, aux_offset) == 112, "aux_offset");
_Static_assert(offsetof(rn_dpu_desc, reserved_120) == 120, "reserved_120");

_Static_assert(sizeof(rn_dpu_completion) == 48, "rn_dpu_completion size");
_Static_assert(offsetof(rn_dpu_completion, cookie) == 0, "cookie");
_Static_assert(offsetof(rn_dpu_completion, result) == 8, "result");
_Static_assert(offsetof(rn_dpu_completion, bytes) == 16, "bytes");
_Static_assert(offsetof(rn_dpu_completion, status) == 20, "status");
_Static_assert(offsetof(rn_dpu_completion, pi_error_block) == 24, "pi_error_block");
_Static_assert(offsetof(rn_dpu_completion, pi_error_field) == 28, "pi_error_field");
_Static_assert(offsetof(rn_dpu_completion, stage) == 29, "stage");
_Static_assert(offsetof(rn_dpu_completion, reserved_30) == 30, "reserved_30");
_Static_assert(offsetof(rn_dpu_completion, pi_expected) == 32, "pi_expected");
_Static_assert(offsetof(rn_dpu_completion, pi_actual) == 40, "pi_actual");

#endif
