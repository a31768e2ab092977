using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ReNESENS.DataPlane.Interop;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.SelfCheck;

/// <summary>Prints what this host offers the data plane, then measures the rings.</summary>
internal static class HostReport
{
    internal static int Run(TextWriter output, TimeSpan duration, string sysfsRoot)
    {
        output.WriteLine($"ReNESENS.DataPlane self-check on {Environment.MachineName}, {Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
        int v = NativeLibraryInfo.Version;
        output.WriteLine($"native shim      : librenesens_native {v >> 16}.{(v >> 8) & 0xff}.{v & 0xff}");
        output.WriteLine($"CPU features     : {CpuFeatures()}");

        HugePageInfo huge = HugePageInfo.Read();
        output.WriteLine(huge.PageSize == 0
            ? "huge pages       : none (kernel without hugetlb)"
            : $"huge pages       : {huge.FreePages} free of {huge.PageSize / 1024} KiB");
        using (DmaRegion auto = DmaRegion.Create(4 << 20))
        {
            output.WriteLine($"DMA region (Auto): {auto.Length >> 20} MiB of {auto.PageKind} pages ({auto.PageSize / 1024} KiB), locked: {auto.IsLocked}");
        }

        IReadOnlyList<PciDevice> boards = PciProbe.FindDevices(sysfsRoot, PciProbe.KalrayVendorId);
        output.WriteLine(boards.Count == 0
            ? $"Kalray MPPA      : no device with vendor 0x1d26 under {sysfsRoot}/bus/pci; the software path serves"
            : $"Kalray MPPA      : {string.Join(", ", boards.Select(b => $"{b.Address} (device 0x{b.DeviceId:x4})"))}");

        output.WriteLine();
        output.WriteLine($"ring throughput, 8-byte items, producer and consumer on two threads, {duration.TotalSeconds:0.#} s each:");
        foreach (RingMeasurement m in RingThroughput.MeasureAll(duration, progress: Console.IsOutputRedirected ? TextWriter.Null : output))
        {
            output.WriteLine($"  {m.Name,-28} burst {m.Burst,3}: {m.ItemsPerSecond / 1e6,8:0.0} M items/s  ({m.Items:N0} items, order checked)");
        }

        return 0;
    }

    private static string CpuFeatures()
    {
        var f = new List<string>();
        void Add(bool present, string name)
        {
            if (present)
            {
                f.Add(name);
            }
        }

        Add(Sse42.IsSupported, "SSE4.2");
        Add(Avx2.IsSupported, "AVX2");
        Add(Avx512F.IsSupported, "AVX-512F");
        Add(Avx512BW.IsSupported, "AVX-512BW");
        Add(Pclmulqdq.IsSupported, "PCLMULQDQ");
        Add(Pclmulqdq.V256.IsSupported, "VPCLMULQDQ-256");
        Add(Pclmulqdq.V512.IsSupported, "VPCLMULQDQ-512");
        Add(Gfni.IsSupported, "GFNI");
        Add(System.Runtime.Intrinsics.X86.Aes.IsSupported, "AES-NI");
        Add(Vector512.IsHardwareAccelerated, "Vector512");
        return f.Count == 0 ? "none beyond the baseline" : string.Join(' ', f);
    }
}
