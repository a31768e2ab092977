namespace ReNESENS.DataPlane.IntegrationTests;

/// <summary>Finds the repository root from the test assembly's folder.</summary>
internal static class RepositoryPaths
{
    internal static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "ReNESENS.DataPlane.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (ReNESENS.DataPlane.sln) is not above the test folder.");
    }
}
