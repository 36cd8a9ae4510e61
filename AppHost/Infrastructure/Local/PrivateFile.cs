namespace Platform.AppHost.Infrastructure.Local;

/// <summary>Files that hold passwords: readable by their owner only.</summary>
[UnsupportedOn("windows")]
internal static class PrivateFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes <paramref name="contents"/> to a 0600 file, creating its folder (0700) when missing.</summary>
    public static async Task WriteAsync(string path, string contents, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, OwnerReadWrite | UnixFileMode.UserExecute);
        await using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerReadWrite,
        }))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteAsync(contents.AsMemory(), cancellationToken);
        }

        File.SetUnixFileMode(path, OwnerReadWrite); // an older file keeps its mode on overwrite
    }
}
