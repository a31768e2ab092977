using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ReNESENS.DataPlane.Memory;

namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>
/// A <see cref="DmaRegion"/> of <c>usable + 4 KiB</c> bytes whose last page is made
/// inaccessible, so a parser that reads or writes even one byte past <c>usable</c> faults
/// (and AFL records a crash) instead of silently touching the next bytes.
/// </summary>
/// <remarks>
/// The guard has to be inside the region: DmaRegion maps its own memory, and the kernel places
/// new mappings right below older ones, so the page after a fresh region is usually taken.
/// <see cref="DmaRegion.Length"/> therefore includes the guard page; a target must lay its
/// structures out so that nothing valid reaches past <c>usable</c>.
/// </remarks>
internal static unsafe partial class GuardedRegion
{
    /// <summary>Bytes of the guard page.</summary>
    public const int GuardSize = 4096;

    private const int ProtNone = 0;

    /// <summary>Creates a region whose bytes from <paramref name="usable"/> on fault when touched.</summary>
    public static DmaRegion Create(int usable)
    {
        if (usable <= 0 || usable % GuardSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(usable), usable, "Whole pages only.");
        }

        DmaRegion region = DmaRegion.Create(usable + GuardSize, PageKind.Small, lockMemory: false, name: "renesens-fuzz");
        nint guard = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(region.GetSpan(usable, GuardSize)));
        if (Mprotect(guard, GuardSize, ProtNone) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            region.Dispose();
            throw new InvalidOperationException($"mprotect of the guard page failed (errno {errno}).");
        }

        return region;
    }

    /// <summary>The last <paramref name="length"/> usable bytes of a guarded <paramref name="region"/>: touching one byte more faults.</summary>
    public static Span<byte> EndOf(DmaRegion region, int length) => region.GetSpan(region.Length - GuardSize - length, length);

    /// <summary>Copies <paramref name="data"/> (cut to the usable size) so that it ends where the guard page starts.</summary>
    public static ReadOnlySpan<byte> CopyToEnd(DmaRegion region, ReadOnlySpan<byte> data)
    {
        int usable = (int)region.Length - GuardSize;
        if (data.Length > usable)
        {
            data = data[..usable];
        }

        Span<byte> copy = EndOf(region, data.Length);
        data.CopyTo(copy);
        return copy;
    }

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);
}
