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
            yield return ("admin-events" + suffix, [8 | 3, .. NvmeTcpStreams.AdminEvents(digests)]);
            yield return ("admin-events-split" + suffix, [8 | 1, .. NvmeTcpStreams.AdminEvents(digests)]);
            yield return ("io-churn" + suffix, [8 | 4 | 2, .. NvmeTcpStreams.Io(digests)]);
        }
    }
}
