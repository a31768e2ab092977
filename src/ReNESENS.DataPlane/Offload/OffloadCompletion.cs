namespace ReNESENS.DataPlane.Offload;

/// <summary>The outcome of one <see cref="OffloadOp"/>, returned by <see cref="IOffloadQueuePair.Poll"/>.</summary>
/// <param name="UserData">The operation's <see cref="OffloadOp.UserData"/>.</param>
/// <param name="Kind">The operation's kind.</param>
/// <param name="Status">How it ended.</param>
/// <param name="BytesProduced">Bytes written to the destination (0 for CRC and PI operations).</param>
/// <param name="Value">CRCs: the CRC. Write chain: the LZ4 block length (or the data length when not compressing). Otherwise 0.</param>
/// <param name="ErrorBlockIndex">PI errors: the index of the first bad block in the run; otherwise -1.</param>
/// <param name="Expected">PI errors: the value the failed field should hold.</param>
/// <param name="Actual">PI errors: the value found.</param>
public readonly record struct OffloadCompletion(
    ulong UserData,
    OffloadOpKind Kind,
    OffloadStatus Status,
    int BytesProduced,
    ulong Value,
    int ErrorBlockIndex,
    ulong Expected,
    ulong Actual)
{
    /// <summary>True when <see cref="Status"/> is <see cref="OffloadStatus.Success"/>.</summary>
    public bool IsSuccess => Status == OffloadStatus.Success;
}
