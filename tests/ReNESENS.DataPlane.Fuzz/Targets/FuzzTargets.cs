namespace ReNESENS.DataPlane.Fuzz.Targets;

/// <summary>Runs one fuzz input; throws only for a real bug.</summary>
public delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>
/// Every fuzz target by name: the name is the harness's first argument and the folder under
/// <c>corpus/</c> and <c>crashes/</c>. A new parser adds its target in its own file and one line here.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets.</summary>
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["bytering"] = ByteRingTarget.Run,
        ["lz4block"] = Lz4BlockTarget.Run,
        ["lz4frame"] = Lz4FrameTarget.Run,
        ["offloadread"] = OffloadReadTarget.Run,
        ["virtio-offload"] = VirtioOffloadTarget.Run,
        ["vhostmsg"] = VhostUserMessageTarget.Run,
        ["vringchain"] = VirtqueueChainTarget.Run,
        ["nvmetcp"] = NvmeTcpFuzzTarget.Run,
        ["vhostsettings"] = VhostUserSettingsTarget.Run,
        ["mppacompletion"] = MppaCompletionTarget.Run,
        ["nvmeconfig"] = NvmeConfigTarget.Run,
    };
}
