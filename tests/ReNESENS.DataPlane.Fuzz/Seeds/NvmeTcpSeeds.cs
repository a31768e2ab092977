using ReNESENS.DataPlane.Fuzz.Targets;

namespace ReNESENS.DataPlane.Fuzz.Seeds;

/// <summary>Valid host streams for <see cref="NvmeTcpFuzzTarget"/>, cut into reads of each size, with and without digests.</summary>
internal static class NvmeTcpSeeds
{
    public static IEnumerable<(string Name, byte[] Data)> Create()
    {
        foreach (bool digests in new[] { false, true })
        {
            string suffix = digests ? "-digests" : string.Empty;
            yield return ("admin" + suffix, [3, .. NvmeTcpStreams.Admin(digests)]);
            yield return ("admin-split" + suffix, [1, .. NvmeTcpStreams.Admin(digests)]);
            yield return ("io" + suffix, [4 | 3, .. NvmeTcpStreams.Io(digests)]);
            yield return ("io-split" + suffix, [4 | 2, .. NvmeTcpStreams.Io(digests)]);
        }
    }
}
