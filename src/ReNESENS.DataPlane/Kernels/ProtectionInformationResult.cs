namespace ReNESENS.DataPlane.Kernels;

/// <summary>
/// The outcome of <see cref="ProtectionInformation.Verify"/>: valid, or the first bad block, the
/// field that failed and the values expected and found.
/// </summary>
/// <param name="BlockIndex">Index in the run of the first bad block; -1 when every block passed.</param>
/// <param name="Field">The field that failed; <see cref="ProtectionInformationField.None"/> when valid.</param>
/// <param name="Expected">The value the field should hold (the guard computed over the block, or the expected tag; for the application tag, masked).</param>
/// <param name="Actual">The value found in the PI (for the application tag, masked).</param>
public readonly record struct ProtectionInformationResult(int BlockIndex, ProtectionInformationField Field, ulong Expected, ulong Actual)
{
    /// <summary>The result of a run where every block passed.</summary>
    public static ProtectionInformationResult Valid => new(-1, ProtectionInformationField.None, 0, 0);

    /// <summary>True when every block passed.</summary>
    public bool IsValid => Field == ProtectionInformationField.None;
}
