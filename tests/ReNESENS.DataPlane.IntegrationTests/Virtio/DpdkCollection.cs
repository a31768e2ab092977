namespace ReNESENS.DataPlane.IntegrationTests.Virtio;

/// <summary>
/// The tests that run dpdk-testpmd: one at a time, and after every parallel test class, because testpmd takes a
/// pinned CPU and 256 MiB of the host's huge pages, which the switch's large-buffer pools also draw on.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DpdkCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "dpdk";
}
