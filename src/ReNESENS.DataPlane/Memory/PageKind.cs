namespace ReNESENS.DataPlane.Memory;

/// <summary>The kind of pages backing a <see cref="DmaRegion"/>.</summary>
public enum PageKind
{
    /// <summary>Huge pages when the host has enough free ones, 4 KiB pages otherwise.</summary>
    Auto = 0,

    /// <summary>Ordinary 4 KiB pages.</summary>
    Small = 1,

    /// <summary>hugetlbfs pages of the host's default huge page size; creation fails when none are free.</summary>
    Huge = 2,
}
