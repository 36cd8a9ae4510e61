using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Tests.Operations;

/// <summary>
/// Every line the platform's processes write (as the testing host forwards them: category
/// <c>Platform.AppHost.Resources.{resource}</c>, at every level), and what the AppHost itself logs at Information or above
/// (as a normal run does) under its own category names.
/// </summary>
public sealed class ResourceLogs : ILoggerProvider
{
    public const string ResourcesCategory = "Platform.AppHost.Resources";

    /// <summary>Beyond this many lines the oldest go: a whole test collection's worth, not an unbounded one.</summary>
    private const int Capacity = 500_000;

    private readonly ConcurrentQueue<(string Source, string Line)> _lines = new();

    /// <summary>Each line with its source: a resource's name, or the AppHost's logger category.</summary>
    public IReadOnlyList<(string Source, string Line)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Capture(this, categoryName.StartsWith($"{ResourcesCategory}.", StringComparison.Ordinal)
        ? categoryName[(ResourcesCategory.Length + 1)..] : categoryName, isResource: categoryName.StartsWith(ResourcesCategory, StringComparison.Ordinal));

    public void Dispose()
    {
    }

    private void Add(string source, string line)
    {
        _lines.Enqueue((source, line));
        while (_lines.Count > Capacity && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Capture(ResourceLogs logs, string source, bool isResource) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => isResource || logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                logs.Add(source, exception is null ? formatter(state, exception) : $"{formatter(state, exception)}\n{exception}");
            }
        }
    }
}
