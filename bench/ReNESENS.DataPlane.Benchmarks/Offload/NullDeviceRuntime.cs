using System.Diagnostics;

namespace ReNESENS.DataPlane.Benchmarks.Offload;

/// <summary>
/// A device runtime that does nothing: <c>rn_dpu_submit</c> keeps the cookies, <c>rn_dpu_poll</c>
/// hands back a success completion for each at once. Built with gcc against the real
/// <c>renesens_dpu.h</c> on first use. With it, the host's Submit/Poll cost is all there is (no worker
/// thread, no waiting), so BenchmarkDotNet's time per descriptor is the host code's own: the engine's
/// translation and completion mapping with the device "replaced by nothing". It says it is emulated.
/// </summary>
internal static class NullDeviceRuntime
{
    private const string Source = """
        #include "renesens_dpu.h"
        #include <errno.h>
        #include <stdlib.h>
        #include <string.h>
        struct rn_dpu_device { int unused; };
        struct rn_dpu_qp { uint64_t *cookies; uint32_t depth, head, count; };
        static struct rn_dpu_device device;
        uint32_t rn_dpu_abi_version(void) { return RN_DPU_ABI_VERSION; }
        int32_t rn_dpu_open(const char *config, rn_dpu_device **out) { (void)config; *out = &device; return 0; }
        int32_t rn_dpu_query(rn_dpu_device *d, rn_dpu_device_info *info) {
            (void)d; memset(info, 0, sizeof *info);
            info->abi_version = RN_DPU_ABI_VERSION; info->device_version = 1;
            info->op_mask = (1ull << RN_DPU_OP_COUNT) - 1; info->max_queue_pairs = 64;
            info->max_queue_depth = 4096; info->max_data_size = 1u << 20; info->flags = RN_DPU_DEVICE_EMULATED;
            strcpy(info->name, "null device (completes at once, computes nothing)"); return 0; }
        int32_t rn_dpu_qp_create(rn_dpu_device *d, int32_t fd, uint64_t size, uint32_t depth, rn_dpu_qp **out) {
            (void)d; (void)fd; (void)size;
            rn_dpu_qp *qp = calloc(1, sizeof *qp);
            if (qp == NULL || (qp->cookies = calloc(depth, sizeof *qp->cookies)) == NULL) { free(qp); return -ENOMEM; }
            qp->depth = depth; *out = qp; return 0; }
        int32_t rn_dpu_qp_destroy(rn_dpu_qp *qp) { free(qp->cookies); free(qp); return 0; }
        int32_t rn_dpu_key_load(rn_dpu_device *d, uint32_t type, const uint8_t *key, uint32_t len, uint32_t *handle) {
            (void)d; (void)type; (void)key; (void)len; *handle = 1; return 0; }
        int32_t rn_dpu_key_destroy(rn_dpu_device *d, uint32_t handle) { (void)d; (void)handle; return 0; }
        int32_t rn_dpu_submit(rn_dpu_qp *qp, const rn_dpu_desc *descs, uint32_t count) {
            uint32_t n = qp->depth - qp->count < count ? qp->depth - qp->count : count;
            for (uint32_t i = 0; i < n; i++) qp->cookies[(qp->head + qp->count + i) % qp->depth] = descs[i].cookie;
            qp->count += n; return (int32_t)n; }
        int32_t rn_dpu_poll(rn_dpu_qp *qp, rn_dpu_completion *out, uint32_t max) {
            uint32_t n = qp->count < max ? qp->count : max;
            for (uint32_t i = 0; i < n; i++) {
                memset(&out[i], 0, sizeof out[i]);
                out[i].cookie = qp->cookies[qp->head]; qp->head = (qp->head + 1) % qp->depth; }
            qp->count -= n; return (int32_t)n; }
        int32_t rn_dpu_reset(rn_dpu_device *d) { (void)d; return 0; }
        int32_t rn_dpu_close(rn_dpu_device *d) { (void)d; return 0; }
        """;

    private static readonly Lock BuildLock = new();
    private static string? _path;

    /// <summary>The library's path, built on first use.</summary>
    internal static string Path
    {
        get
        {
            lock (BuildLock)
            {
                return _path ??= Build();
            }
        }
    }

    private static string Build()
    {
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rn-bench-nulldpu-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        string source = System.IO.Path.Combine(dir, "nulldpu.c");
        string library = System.IO.Path.Combine(dir, "libnulldpu.so");
        File.WriteAllText(source, Source);
        string include = System.IO.Path.Combine(RepositoryRoot(), "src/ReNESENS.Native/include");
        var psi = new ProcessStartInfo("gcc", $"-std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -I {include} -o {library} {source}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process gcc = Process.Start(psi)!;
        string errors = gcc.StandardError.ReadToEnd();
        if (!gcc.WaitForExit(60_000) || gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc could not build the null device runtime: {errors}");
        }

        return library;
    }

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "ReNESENS.DataPlane.sln")))
        {
            dir = System.IO.Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
