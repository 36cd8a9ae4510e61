using System.Text.Json;

namespace Platform.AppHost.Operations;

/// <summary>
/// Settings a drill changes in a running service without restarting it: a JSON file per resource,
/// <c>{state folder}/drills/{resource}.json</c>, which the service reads over the rest of its configuration and watches
/// (ServiceDefaults, <c>Drills:SettingsFile</c>). A drill ends when the file goes: by its end command, or by itself after
/// its duration; a file left by an earlier run goes at start. No drill outlives the run it began in.
/// </summary>
internal sealed class DrillSettings
{
    private readonly string _file;
    private readonly Lock _lock = new();
    private int _drill; // which drill is running: a timer ends only its own

    private DrillSettings(string file) => _file = file;

    /// <summary>The drill settings of <paramref name="resource"/> (every replica reads the same file).</summary>
    public static DrillSettings Of(IResourceBuilder<ProjectResource> resource, string stateDirectory)
    {
        var directory = Path.Combine(stateDirectory, "drills");
        Directory.CreateDirectory(directory);
        var settings = new DrillSettings(Path.Combine(directory, $"{resource.Resource.Name}.json"));
        File.Delete(settings._file);
        resource.WithEnvironment("Drills__SettingsFile", settings._file);
        return settings;
    }

    /// <summary>
    /// Gives the service <paramref name="values"/> (configuration keys, say <c>Payments:FailureRate</c>) until it is ended or
    /// for <paramref name="duration"/> (null: until it is ended, or the run is); replaces a drill running on the same resource.
    /// </summary>
    public void Start(IReadOnlyDictionary<string, string> values, TimeSpan? duration)
    {
        int drill;
        lock (_lock)
        {
            drill = ++_drill;
            // Written aside and moved into place: the service never reads half a file.
            var written = $"{_file}.{Environment.ProcessId}.tmp";
            File.WriteAllText(written, JsonSerializer.Serialize(values));
            File.Move(written, _file, overwrite: true);
        }

        if (duration is { } bound)
        {
            _ = Task.Delay(bound).ContinueWith(_ => EndIfRunning(drill), TaskScheduler.Default);
        }
    }

    /// <summary>Ends the running drill, if any: the service is back on its own settings.</summary>
    public void End()
    {
        lock (_lock)
        {
            _drill++;
            File.Delete(_file);
        }
    }

    private void EndIfRunning(int drill)
    {
        lock (_lock)
        {
            if (drill == _drill)
            {
                File.Delete(_file);
            }
        }
    }
}
