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
        int32_t rn_dpu_key_load(void *d, const uint8_t *k, uint32_t l, uint32_t *h) { (void)d; (void)k; (void)l; *h = 1; return 0; }
        int32_t rn_dpu_key_destroy(void *d, uint32_t h) { (void)d; (void)h; return 0; }
        int32_t rn_dpu_submit(void *q, const void *x, uint32_t n) { (void)q; (void)x; (void)n; return 0; }
        int32_t rn_dpu_poll(void *q, void *x, uint32_t n) { (void)q; (void)x; (void)n; return 0; }
        #ifndef OMIT_RESET
        int32_t rn_dpu_reset(void *d) { (void)d; return 0; }
        #endif
        int32_t rn_dpu_close(void *d) { (void)d; return 0; }
        """;

    private static readonly Lock BuildLock = new();

    /// <summary>The emulated device runtime shipped beside the library.</summary>
    internal static string Emulated => Path.Combine(AppContext.BaseDirectory, OffloadEngineOptions.EmulatedDeviceRuntime);

    /// <summary>Reports ABI version 2.</summary>
    internal static string WrongVersion => Build("wrong-version", "-DVERSION=2 -DOPS=0x7ffULL");

    /// <summary>Lacks rn_dpu_reset.</summary>
    internal static string MissingSymbol => Build("missing-reset", "-DVERSION=1 -DOPS=0x7ffULL -DOMIT_RESET");

    /// <summary>Has no XTS (op mask without bits 8 and 9).</summary>
    internal static string MissingCapability => Build("no-xts", "-DVERSION=1 -DOPS=0x4ffULL");

    private static string Build(string name, string defines)
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
            string source = Path.Combine(dir, $"{name}.c");
            File.WriteAllText(source, Source);
            var psi = new ProcessStartInfo("gcc", $"-std=c11 -Wall -Wextra -Werror -shared -fPIC {defines} -o {library} {source}")
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
