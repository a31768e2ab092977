using System.IO.Compression;

namespace ReNESENS.DataPlane.IntegrationTests.Packaging;

public sealed class PackageTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rn-pack-");

    // A version no earlier run used, so the NuGet cache cannot serve a stale package.
    private readonly string _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";

    [Fact]
    public async Task AFreshConsoleProjectReferencesThePackageAndCallsTheNativeShim()
    {
        string feed = Path.Combine(_work.FullName, "feed");
        ProcessRunner.Result pack = await ProcessRunner.RunAsync("dotnet",
            ["pack", Path.Combine(RepositoryPaths.Root, "src/ReNESENS.DataPlane/ReNESENS.DataPlane.csproj"), "-c", "Release", "-o", feed, $"-p:Version={_version}"]);
        Assert.True(pack.ExitCode == 0, pack.ToString());

        string nupkg = Path.Combine(feed, $"ReNESENS.DataPlane.{_version}.nupkg");
        using (ZipArchive zip = ZipFile.OpenRead(nupkg))
        {
            string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("runtimes/linux-x64/native/librenesens_native.so", entries);
            Assert.Contains("lib/net10.0/ReNESENS.DataPlane.dll", entries);
            Assert.Contains("lib/net10.0/ReNESENS.DataPlane.xml", entries);
            Assert.Contains("README.md", entries);
        }

        string app = Path.Combine(_work.FullName, "consumer");
        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="ReNESENS.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ReNESENS.DataPlane" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        // The README's example is the consumer's program: the documentation is what we test.
        string readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "README.md"));
        int start = readme.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), readme[start..end]);

        ProcessRunner.Result run = await ProcessRunner.RunAsync("dotnet", ["run", "-c", "Release"], app);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"^3 items, 0 buffers in use, (Small|Huge) pages$", run.Output.Trim().Split('\n')[^1]);
    }

    public void Dispose()
    {
        _work.Delete(recursive: true);
        string cached = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget/packages/renesens.dataplane", _version);
        if (Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }
    }
}
