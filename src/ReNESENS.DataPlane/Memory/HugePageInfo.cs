using ReNESENS.DataPlane.Interop;

namespace ReNESENS.DataPlane.Memory;

/// <summary>What the host offers in huge pages, read from <c>/proc/meminfo</c>.</summary>
/// <param name="PageSize">The default huge page size in bytes (0 when the kernel has no hugetlb support).</param>
/// <param name="FreePages">Huge pages free right now.</param>
public readonly record struct HugePageInfo(long PageSize, long FreePages)
{
    /// <summary>Free huge page memory in bytes.</summary>
    public long FreeBytes => PageSize * FreePages;

    /// <summary>Reads the current figures.</summary>
    public static HugePageInfo Read()
    {
        NativeError.Check(NativeMethods.HugePageInfo(out ulong size, out ulong free), "rn_hugepage_info");
        return new HugePageInfo((long)size, (long)free);
    }
}
