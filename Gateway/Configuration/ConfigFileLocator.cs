namespace Gateway.Configuration;

/// <summary>Finds THE config file: <c>GATEWAY_CONFIG</c>, else the working directory's, else the one beside the binary.</summary>
public static class ConfigFileLocator
{
    public const string EnvironmentVariable = "GATEWAY_CONFIG";
    public const string FileName = "appsettings.json";

    public static string? Locate(string? explicitPath, string workingDirectory, string baseDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            // An explicit path that does not exist is an operator error, not a reason to fall back silently.
            var full = Path.GetFullPath(explicitPath, workingDirectory);
            return File.Exists(full)
                ? full
                : throw new FileNotFoundException($"{EnvironmentVariable} names '{full}', which does not exist.", full);
        }

        var inWorkingDirectory = Path.Combine(workingDirectory, FileName);
        if (File.Exists(inWorkingDirectory))
        {
            return inWorkingDirectory;
        }

        var besideBinary = Path.Combine(baseDirectory, FileName);
        return File.Exists(besideBinary) ? besideBinary : null;
    }
}
