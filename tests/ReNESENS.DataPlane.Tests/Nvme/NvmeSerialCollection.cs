namespace ReNESENS.DataPlane.Tests.Nvme;

/// <summary>Test classes that must not run beside others (heap and timing measurements).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NvmeSerialCollection
{
    public const string Name = "Nvme serial";
}
