using System.Diagnostics;
using System.Text;

namespace Platform.Template.Tests;

/// <summary>Runs <c>dotnet</c> (or another command) to completion and keeps its output, for assertions and failure messages.</summary>
public static class DotNet
{
    public sealed record Result(int ExitCode, string Output)
    {
        /// <summary>Fails the test with the command's output unless it exited with 0.</summary>
        public Result Succeeded(string what)
        {
            Assert.True(ExitCode == 0, $"{what} failed (exit {ExitCode}):\n{Tail(Output)}");
            return this;
        }
    }

    public static Task<Result> RunAsync(string workingDirectory, params string[] arguments) =>
        RunCommandAsync("dotnet", workingDirectory, readyToRun: false, arguments);

    public static Task<Result> RunCommandAsync(string command, string workingDirectory, params string[] arguments) =>
        RunCommandAsync(command, workingDirectory, readyToRun: false, arguments);

    /// <summary>
    /// Runs <paramref name="command"/>. <paramref name="readyToRun"/>: whether its Release builds compile the services ahead
    /// of time (see Directory.Build.props). Only the default solution's whole run does: it roughly doubles a first build,
    /// and the other solutions are built to check that they compile.
    /// </summary>
    public static async Task<Result> RunCommandAsync(string command, string workingDirectory, bool readyToRun, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host's own test-platform and MSBuild settings must not leak into the commands it runs
        // (a nested `dotnet test` would report to this run instead of its own).
        foreach (var name in start.Environment.Keys.Where(IsInherited).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (!readyToRun)
        {
            start.Environment["ReadyToRunBuildOutput"] = "false"; // an MSBuild property, from the environment
        }
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, output.ToString());
    }

    private static bool IsInherited(string name) =>
        name.StartsWith("TESTINGPLATFORM_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("DOTNET_TEST", StringComparison.OrdinalIgnoreCase);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Tail(string output) => output.Length <= 8000 ? output : "…" + output[^8000..];
}
