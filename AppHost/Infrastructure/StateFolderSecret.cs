using Aspire.Hosting.Publishing;

namespace Platform.AppHost.Infrastructure;

/// <summary>
/// A generated secret that lives in the state folder next to the data it protects, so that a
/// data folder and its passwords always travel (and get deleted) together. Publishing writes
/// <paramref name="publishDefault"/> (a "generate" input, or nothing: the deployment asks), so no
/// value ever reaches a manifest.
/// </summary>
internal sealed class StateFolderSecret(string path, Func<string> generate, ParameterDefault? publishDefault) : ParameterDefault
{
    private readonly Lock _lock = new();

    public override string GetDefaultValue()
    {
        lock (_lock)
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
            {
                return existing;
            }

            var directory = Path.GetDirectoryName(path)!;
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            // Written aside, then renamed: a crash never leaves an empty or half-written secret.
            var value = generate();
            var written = path + ".new";
            using (var file = new FileStream(written, options))
            using (var writer = new StreamWriter(file))
            {
                writer.Write(value);
            }

            File.Move(written, path, overwrite: true);
            return value;
        }
    }

    public override void WriteToManifest(ManifestPublishingContext context) => publishDefault?.WriteToManifest(context);
}
