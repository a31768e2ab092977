using System.Diagnostics;
using ReNESENS.DataPlane.Offload;

namespace ReNESENS.DataPlane.Tests.Interop;

/// <summary>
/// The emulated device beside the test assembly, and tiny deliberately bad runtimes compiled with gcc
/// on first use: each implements the ABI minimally and breaks exactly one rule.
/// </summary>
internal static class TestRuntimes
{
    private const string Source = """
        #include <stdint.h>
        #include <string.h>
        typedef struct { uint32_t abi, dev; uint64_t ops; uint32_t qps, depth, data, flags; char name[64]; uint64_t r[4]; } info_t;
        static int device;
        uint32_t rn_dpu_abi_version(void) { return VERSION; }
        int32_t rn_dpu_open(const char *c, void **d) { (void)c; *d = &device; return 0; }
        int32_t rn_dpu_query(void *d, info_t *i) { (void)d; memset(i, 0, sizeof *i); i->abi = VERSION; i->ops = OPS;
            i->qps = 4; i->depth = 64; i->data = 65536; strcpy(i->name, "bad test runtime"); return 0; }
        int32_t rn_dpu_qp_create(void *d, int32_t fd, uint64_t s, uint32_t q, void **o) { (void)d; (void)fd; (void)s; (void)q; *o = &device; return 0; }
        int32_t rn_dpu_qp_destroy(void *q) { (void)q; return 0; }
        int32_t rn_dpu_key_load(void *d, uint32_t t, const uint8_t *k, uint32_t l, uint32_t *h) { (void)d; (void)t; (void)k; (void)l; *h = 1; return 0; }
        int32_t rn_dpu_key_destroy(void *d, uint32_t h) { (void)d; (void)h; return 0; }
        int32_t rn_dpu_submit(void *q, const void *x, uint32_t n) { (void)q; (void)x; (void)n; return 0; }
        int32_t rn_dpu_poll(void *q, void *x, uint32_t n) { (void)q; (void)x; (void)n; return 0; }
        #ifndef OMIT_RESET
        int32_t rn_dpu_reset(void *d) { (void)d; return 0; }
        #endif
        int32_t rn_dpu_close(void *d) { (void)d; return 0; }
        """;

    /// <summary>
    /// A runtime that misbehaves on every completion: each accepted descriptor comes back twice with a
    /// device error, interleaved with completions for cookies that were never submitted.
    /// </summary>
    private const string LiarSource = """
        #include <stdint.h>
        #include <string.h>
        typedef struct { uint32_t abi, dev; uint64_t ops; uint32_t qps, depth, data, flags; char name[64]; uint64_t r[4]; } info_t;
        typedef struct { uint64_t cookie; uint8_t rest[120]; } desc_t;
        typedef struct { uint64_t cookie, result; uint32_t bytes; int32_t status; uint32_t block; uint8_t field, stage; uint16_t r; uint64_t e, a; } comp_t;
        static int device;
        static uint64_t pending[4096];
        static uint32_t count, emitted;
        uint32_t rn_dpu_abi_version(void) { return 2; }
        int32_t rn_dpu_open(const char *c, void **d) { (void)c; *d = &device; return 0; }
        int32_t rn_dpu_query(void *d, info_t *i) { (void)d; memset(i, 0, sizeof *i); i->abi = 2; i->ops = 0x7ff;
            i->qps = 4; i->depth = 4096; i->data = 1 << 20; strcpy(i->name, "liar"); return 0; }
        int32_t rn_dpu_qp_create(void *d, int32_t fd, uint64_t s, uint32_t q, void **o) { (void)d; (void)fd; (void)s; (void)q; *o = &device; return 0; }
        int32_t rn_dpu_qp_destroy(void *q) { (void)q; return 0; }
        int32_t rn_dpu_key_load(void *d, uint32_t t, const uint8_t *k, uint32_t l, uint32_t *h) { (void)d; (void)t; (void)k; (void)l; *h = 1; return 0; }
        int32_t rn_dpu_key_destroy(void *d, uint32_t h) { (void)d; (void)h; return 0; }
        int32_t rn_dpu_submit(void *q, const desc_t *x, uint32_t n) { (void)q;
            for (uint32_t i = 0; i < n && count < 4096; i++) { pending[count++] = x[i].cookie; }
            return (int32_t)n; }
        int32_t rn_dpu_poll(void *q, comp_t *out, uint32_t max) { (void)q;
            uint32_t n = 0;
            while (n < max && emitted < count * 3) {
                memset(&out[n], 0, sizeof out[n]);
                uint32_t k = emitted / 3, kind = emitted % 3;
                out[n].cookie = kind == 2 ? (pending[k] ^ 0x5555000000000000ull) + 7 : pending[k];
                out[n].status = kind == 0 ? 8 : (kind == 1 ? 0 : 5);
                out[n].field = 9; out[n].block = 0xFFFFFFFFu;
                n++; emitted++;
            }
            return (int32_t)n; }
        int32_t rn_dpu_reset(void *d) { (void)d; return 0; }
        int32_t rn_dpu_close(void *d) { (void)d; return 0; }
        """;

    private static readonly Lock BuildLock = new();

    /// <summary>The emulated device runtime shipped beside the library.</summary>
    internal static string Emulated => Path.Combine(AppContext.BaseDirectory, OffloadEngineOptions.EmulatedDeviceRuntime);

    /// <summary>Reports ABI version 1 (the one before GCM).</summary>
    internal static string WrongVersion => Build("wrong-version", "-DVERSION=1 -DOPS=0x7ffULL");

    /// <summary>Lacks rn_dpu_reset.</summary>
    internal static string MissingSymbol => Build("missing-reset", "-DVERSION=2 -DOPS=0x7ffULL -DOMIT_RESET");

    /// <summary>Has no XTS (op mask without bits 8 and 9).</summary>
    internal static string MissingCapability => Build("no-xts", "-DVERSION=2 -DOPS=0x4ffULL");

    /// <summary>Completes everything twice (a device error, then a duplicate "success") and invents cookies.</summary>
    internal static string Liar => Build("liar", "", LiarSource);

    private static string Build(string name, string defines, string source = Source)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rn-dpu-tests-{Environment.ProcessId}");
        string library = Path.Combine(dir, $"libbad-{name}.so");
        lock (BuildLock)
        {
            if (File.Exists(library))
            {
                return library;
            }

            Directory.CreateDirectory(dir);
            string file = Path.Combine(dir, $"{name}.c");
            File.WriteAllText(file, source);
            var psi = new ProcessStartInfo("gcc", $"-std=c11 -Wall -Wextra -Werror -shared -fPIC {defines} -o {library} {file}")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using Process gcc = Process.Start(psi)!;
            string errors = gcc.StandardError.ReadToEnd();
            Assert.True(gcc.WaitForExit(60_000), "gcc did not finish");
            Assert.True(gcc.ExitCode == 0, $"gcc failed: {errors}");
            return library;
        }
    }
}
