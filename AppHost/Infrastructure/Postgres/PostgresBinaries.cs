using Platform.AppHost.Infrastructure.Local;

namespace Platform.AppHost.Infrastructure.Postgres;

/// <summary>The PostgreSQL server programs local mode needs, found once at start-up.</summary>
internal sealed record PostgresBinaries(string Postgres, string InitDb, string BaseBackup)
{
    public const string DebianPackage = "postgresql";

    /// <summary>
    /// Looks only in <c>Infrastructure:PostgresBinDirectory</c> when set, else in Debian's
    /// <c>/usr/lib/postgresql/N/bin</c> (newest N first), then on PATH.
    /// </summary>
    public static PostgresBinaries Find(string? configuredDirectory)
    {
        var directories = configuredDirectory is { Length: > 0 }
            ? [configuredDirectory]
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                    .Select(d => Path.Combine(d, "bin"))
                    .ToArray()
                : [];

        string Binary(string name) =>
            LocalBinary.Find(name, DebianPackage, directories.Select(d => Path.Combine(d, name)), searchPath: configuredDirectory is not { Length: > 0 });

        return new PostgresBinaries(Binary("postgres"), Binary("initdb"), Binary("pg_basebackup"));
    }
}
