using System.Text;
using ReNESENS.DataPlane.Kernels;

namespace ReNESENS.DataPlane.IntegrationTests.Kernels;

/// <summary>
/// The <c>lz4</c> command-line tool (Debian's lz4 1.9.x) as the peer: every frame we write it
/// decompresses byte for byte, and every frame it writes we decompress byte for byte.
/// </summary>
public sealed class Lz4CliTests : IDisposable
{
    private const string Cli = "lz4";

    private readonly string _dir = Directory.CreateTempSubdirectory("renesens-lz4-").FullName;

    /// <summary>A realistic mixed corpus: text, the library's own dll, zeros, random bytes, and all of them together.</summary>
    public static TheoryData<string> Corpora => ["empty", "text", "dll", "zeros", "random", "mixed"];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [MemberData(nameof(Corpora))]
    public async Task LzCliDecompressesEveryFrameWeWrite(string corpus)
    {
        byte[] data = Corpus(corpus);
        Lz4BlockSize[] sizes = [Lz4BlockSize.Max64KB, Lz4BlockSize.Max256KB, Lz4BlockSize.Max1MB, Lz4BlockSize.Max4MB];
        var failures = new List<string>();
        int runs = 0;
        foreach (Lz4BlockSize size in sizes)
        {
            for (int flags = 0; flags < 16; flags++)
            {
                // The full flag matrix at 64 KiB (linked blocks matter most there), the usual ones above.
                if (size != Lz4BlockSize.Max64KB && flags is not (0 or 5 or 15))
                {
                    continue;
                }

                var options = new Lz4FrameOptions
                {
                    BlockSize = size,
                    LinkedBlocks = (flags & 1) != 0,
                    BlockChecksum = (flags & 2) != 0,
                    ContentChecksum = (flags & 4) != 0,
                    ContentSize = (flags & 8) != 0,
                    Level = flags == 15 ? 9 : 0,
                };
                byte[] frame = new byte[Lz4Frame.MaxCompressedLength(data.Length, options)];
                int written = Lz4Frame.Compress(data, frame, options);
                string input = Path.Combine(_dir, $"ours-{corpus}-{runs}.lz4");
                string output = Path.Combine(_dir, $"ours-{corpus}-{runs}.out");
                await File.WriteAllBytesAsync(input, frame.AsMemory(0, written).ToArray());
                ProcessRunner.Result result = await ProcessRunner.RunAsync(Cli, ["-d", "-f", "-q", input, output]);
                runs++;
                if (result.ExitCode != 0)
                {
                    failures.Add($"{options}: lz4 -d {result}");
                }
                else if (!(await File.ReadAllBytesAsync(output)).AsSpan().SequenceEqual(data))
                {
                    failures.Add($"{options}: lz4 -d output differs");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(16 + (3 * 3), runs);
    }

    public static TheoryData<string, string> CliOptions()
    {
        var data = new TheoryData<string, string>();
        string[] options =
        [
            "", "-B4", "-B5", "-B6", "-B7", "-BD", "-B4 -BD", "-BX", "-B4 -BD -BX", "--content-size",
            "--no-frame-crc", "-1", "-9", "-9 -BD -B4", "-12 -BX --content-size", "-B4 -BD -BX --content-size --no-frame-crc",
        ];
        foreach (string corpus in new[] { "empty", "text", "dll", "zeros", "random", "mixed" })
        {
            foreach (string option in options)
            {
                data.Add(corpus, option);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CliOptions))]
    public async Task WeDecompressEveryFrameTheCliWrites(string corpus, string options)
    {
        byte[] data = Corpus(corpus);
        string input = Path.Combine(_dir, "in.bin");
        string frame = Path.Combine(_dir, "in.bin.lz4");
        await File.WriteAllBytesAsync(input, data);
        string[] args = [.. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-f", "-q", input, frame];
        ProcessRunner.Result result = await ProcessRunner.RunAsync(Cli, args);
        Assert.True(result.ExitCode == 0, result.ToString());

        byte[] compressed = await File.ReadAllBytesAsync(frame);
        byte[] output = new byte[data.Length];
        Lz4FrameStatus status = Lz4Frame.TryDecompress(compressed, output, out int written);
        Assert.Equal(Lz4FrameStatus.Ok, status);
        Assert.Equal(data.Length, written);
        Assert.True(output.AsSpan().SequenceEqual(data), "decoded bytes differ");
    }

    [Fact]
    public async Task OurFastFramesAreByteForByteTheClis()
    {
        // `lz4 -c` compresses a file shorter than its 4 MiB block in one call: one independent
        // block (LZ4_compress_default's bytes), the smallest block size that holds the file, a
        // content checksum. Our encoder is liblz4's algorithm, so the same options give the same file.
        int compared = 0;
        foreach (string corpus in new[] { "empty", "text", "dll", "zeros", "random", "mixed", "text-60k" })
        {
            byte[] data = corpus == "text-60k" ? Corpus("text")[..60_000] : Corpus(corpus);
            if (data.Length >= 4 * 1024 * 1024)
            {
                continue;
            }

            Lz4BlockSize size = data.Length <= 64 * 1024 ? Lz4BlockSize.Max64KB
                : data.Length <= 256 * 1024 ? Lz4BlockSize.Max256KB
                : data.Length <= 1024 * 1024 ? Lz4BlockSize.Max1MB
                : Lz4BlockSize.Max4MB;
            var options = new Lz4FrameOptions { BlockSize = size };
            byte[] ours = new byte[Lz4Frame.MaxCompressedLength(data.Length, options)];
            int written = Lz4Frame.Compress(data, ours, options);

            string input = Path.Combine(_dir, $"same-{corpus}.bin");
            string frame = input + ".lz4";
            await File.WriteAllBytesAsync(input, data);
            ProcessRunner.Result result = await ProcessRunner.RunAsync(Cli, ["-1", "-f", "-q", input, frame]);
            Assert.True(result.ExitCode == 0, result.ToString());
            byte[] theirs = await File.ReadAllBytesAsync(frame);
            Assert.True(theirs.AsSpan().SequenceEqual(ours.AsSpan(0, written)), $"{corpus} ({data.Length} bytes): the CLI wrote {theirs.Length} bytes, we wrote {written}, first difference at {theirs.AsSpan().CommonPrefixLength(ours.AsSpan(0, written))}");
            compared++;
        }

        Assert.True(compared >= 6, $"only {compared} corpora were shorter than 4 MiB");
    }

    [Fact]
    public async Task WeRefuseTheLegacyFormatClearly()
    {
        byte[] data = Corpus("text");
        string input = Path.Combine(_dir, "legacy.bin");
        string frame = Path.Combine(_dir, "legacy.bin.lz4");
        await File.WriteAllBytesAsync(input, data);
        ProcessRunner.Result result = await ProcessRunner.RunAsync(Cli, ["-l", "-f", "-q", input, frame]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Lz4FrameStatus.LegacyFormat, Lz4Frame.TryDecompress(await File.ReadAllBytesAsync(frame), new byte[data.Length], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public async Task TheCliRefusesOurFrameWithAFlippedContentChecksum()
    {
        // The checksums we write are the ones lz4 checks: break one and it says so.
        byte[] data = Corpus("text");
        var options = new Lz4FrameOptions { BlockChecksum = true };
        byte[] frame = new byte[Lz4Frame.MaxCompressedLength(data.Length, options)];
        int written = Lz4Frame.Compress(data, frame, options);
        frame[written - 1] ^= 1;
        string input = Path.Combine(_dir, "bad.lz4");
        await File.WriteAllBytesAsync(input, frame.AsMemory(0, written).ToArray());
        ProcessRunner.Result result = await ProcessRunner.RunAsync(Cli, ["-d", "-f", "-q", input, Path.Combine(_dir, "bad.out")]);
        Assert.NotEqual(0, result.ExitCode);
    }

    private static byte[] Corpus(string name)
    {
        switch (name)
        {
            case "empty":
                return [];
            case "text":
                return Text();
            case "dll":
                return File.ReadAllBytes(typeof(Lz4Frame).Assembly.Location);
            case "zeros":
                return new byte[300_000];
            case "random":
                byte[] random = new byte[200_001];
                new Random(42).NextBytes(random);
                return random;
            default:
                return [.. Text(), .. Corpus("dll"), .. Corpus("zeros"), .. Corpus("random"), .. Text()];
        }
    }

    /// <summary>Text as it is found on a disk: this repository's design document and C# sources.</summary>
    private static byte[] Text()
    {
        var sb = new StringBuilder();
        string root = RepositoryPaths.Root;
        foreach (string file in Directory.EnumerateFiles(Path.Combine(root, "src", "ReNESENS.DataPlane"), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            sb.Append(File.ReadAllText(file));
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
