using Gateway.Configuration;

namespace Gateway.Tests.Configuration;

/// <summary>THE config file: <c>GATEWAY_CONFIG</c>, else the working directory's, else the one beside the binary (README: "Configuration").</summary>
public sealed class ConfigFileLocatorTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "locator-" + Guid.NewGuid().ToString("N"));

    public ConfigFileLocatorTests()
    {
        Directory.CreateDirectory(WorkingDirectory);
        Directory.CreateDirectory(BinaryDirectory);
        Directory.CreateDirectory(Path.Combine(_root, "elsewhere"));
    }

    private string WorkingDirectory => Path.Combine(_root, "work");

    private string BinaryDirectory => Path.Combine(_root, "bin");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ExplicitPath_WinsOverBothDefaults()
    {
        var explicitFile = Touch(Path.Combine(_root, "elsewhere", "gateway.json"));
        Touch(Path.Combine(WorkingDirectory, "appsettings.json"));
        Touch(Path.Combine(BinaryDirectory, "appsettings.json"));

        Assert.Equal(explicitFile, ConfigFileLocator.Locate(explicitFile, WorkingDirectory, BinaryDirectory));
    }

    [Fact]
    public void RelativeExplicitPath_IsResolvedAgainstTheWorkingDirectory()
    {
        var file = Touch(Path.Combine(WorkingDirectory, "custom.json"));

        Assert.Equal(file, ConfigFileLocator.Locate("custom.json", WorkingDirectory, BinaryDirectory));
    }

    [Fact]
    public void MissingExplicitPath_Throws_NamingThePath_InsteadOfFallingBack()
    {
        Touch(Path.Combine(WorkingDirectory, "appsettings.json"));
        var missing = Path.Combine(_root, "elsewhere", "missing.json");

        var thrown = Assert.Throws<FileNotFoundException>(() => ConfigFileLocator.Locate(missing, WorkingDirectory, BinaryDirectory));

        Assert.Contains(missing, thrown.Message);
        Assert.Contains(ConfigFileLocator.EnvironmentVariable, thrown.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void NoExplicitPath_PrefersTheWorkingDirectory(string? explicitPath)
    {
        var inWorking = Touch(Path.Combine(WorkingDirectory, "appsettings.json"));
        Touch(Path.Combine(BinaryDirectory, "appsettings.json"));

        Assert.Equal(inWorking, ConfigFileLocator.Locate(explicitPath, WorkingDirectory, BinaryDirectory));
    }

    [Fact]
    public void NothingInTheWorkingDirectory_FallsBackToTheFileBesideTheBinary()
    {
        var besideBinary = Touch(Path.Combine(BinaryDirectory, "appsettings.json"));

        Assert.Equal(besideBinary, ConfigFileLocator.Locate(null, WorkingDirectory, BinaryDirectory));
    }

    [Fact]
    public void NoFileAnywhere_IsNull()
    {
        Assert.Null(ConfigFileLocator.Locate(null, WorkingDirectory, BinaryDirectory));
    }

    [Fact]
    public void TheBuild_CopiesTheRepoRootFileBesideTheBinary()
    {
        // The test binary's folder holds the gateway's build output, which carries the repo-root appsettings.json.
        var besideGateway = Path.Combine(Path.GetDirectoryName(typeof(ConfigFileLocator).Assembly.Location)!, "appsettings.json");

        Assert.True(File.Exists(besideGateway), besideGateway);
        Assert.Contains("\"serverless\"", File.ReadAllText(besideGateway));
    }

    private static string Touch(string path)
    {
        File.WriteAllText(path, "{}");
        return path;
    }
}
