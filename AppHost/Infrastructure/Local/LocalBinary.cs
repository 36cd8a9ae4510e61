namespace Platform.AppHost.Infrastructure.Local;

/// <summary>Finds the machine binaries that local mode runs, or fails at once with the command that installs them.</summary>
internal static class LocalBinary
{
    /// <summary>The first existing candidate path, else (when <paramref name="searchPath"/>) the name found on PATH.</summary>
    public static string Find(string name, string debianPackage, IEnumerable<string> candidates, bool searchPath = true)
    {
        foreach (var candidate in searchPath ? candidates.Append(name) : candidates)
        {
            var path = Path.IsPathRooted(candidate) ? candidate : OnPath(candidate);
            if (path is not null && File.Exists(path))
            {
                return path;
            }
        }

        throw Missing(name, debianPackage);
    }

    public static DistributedApplicationException Missing(string what, string debianPackage) => new(
        $"Local infrastructure mode needs '{what}', which is not installed. " +
        $"Install it with: sudo apt-get install -y --no-install-recommends {debianPackage} " +
        "(or run the platform with a container runtime: --Infrastructure:Mode=containers).");

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
