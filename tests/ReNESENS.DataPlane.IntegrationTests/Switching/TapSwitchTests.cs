namespace ReNESENS.DataPlane.IntegrationTests.Switching;

public class TapSwitchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PingCrossesTheSwitchBetweenTwoNamespaces()
    {
        await using NamespaceLab lab = await NamespaceLab.StartAsync();
        ProcessRunner.Result ping = await NamespaceLab.InNamespaceAsync(lab.NamespaceA, Limit, "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.AddressB);
        Assert.True(ping.ExitCode == 0, $"{ping}\n{lab.Describe()}");
        Assert.Contains(" 0% packet loss", ping.Output, StringComparison.Ordinal);
    }
}
