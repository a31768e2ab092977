namespace ReNESENS.DataPlane.Tests.Offload;

/// <summary>
/// Tests that start emulated-device worker threads and poll them: they run on their own, after the
/// parallel tests, so that on two shared cores they neither starve nor are starved by the ring stress tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeviceCollection
{
    public const string Name = "Emulated device";
}
