using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Infrastructure.Local;
using Platform.AppHost.Infrastructure.Postgres;
using Platform.AppHost.Services;

namespace Platform.AppHost.Operations;

/// <summary>
/// The dashboard command <c>Move bucket</c> of a sharded service: runs the service's executable with
/// <c>move-bucket &lt;bucket&gt; &lt;shard&gt;</c> (the service's own <c>BucketMover</c>), as its migration step runs — with
/// the step's environment, which logs in to every shard as the database owner. Its output goes to the service's log; the
/// result says how long the bucket's writes were fenced. How a team rebalances, e.g. onto a shard added with
/// <c>--Orders:Shards</c>.
/// </summary>
public static class BucketMoves
{
    public const string CommandName = "move-bucket";
    public const string BucketName = "bucket";
    public const string ShardName = "shard";
    private const int Buckets = 256; // Platform.Data.Sharding.Buckets.Count

    public static IResourceBuilder<ProjectResource> WithBucketMoves(this IResourceBuilder<ProjectResource> service,
        IReadOnlyList<ReplicatedPostgresDatabase> shards)
    {
        if (!service.ApplicationBuilder.ExecutionContext.IsRunMode || shards.Count < 2)
        {
            return service;
        }

        var step = service.MigrationStep().Resource;
        return service.WithCommand(CommandName, "Move bucket", async context =>
        {
            if (DrillCommands.Number(context.Arguments, BucketName, fallback: -1, 0, Buckets - 1) is not { } bucket || bucket % 1 != 0
                || context.Arguments?[ShardName].Value is not { Length: > 0 } target)
            {
                return CommandResults.Failure($"Give a bucket (0-{Buckets - 1}) and the shard to move it to.");
            }

            var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(service.Resource);
            var start = new ProcessStartInfo(BuiltProject.ExecutableOf(step.GetProjectMetadata().ProjectPath),
                [BucketMover, ((int)bucket).ToString(CultureInfo.InvariantCulture), target])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // The step's environment, resolved as the orchestrator resolves it.
            var configuration = await ExecutionConfigurationBuilder.Create(step).WithEnvironmentVariablesConfig()
                .BuildAsync(context.Services.GetRequiredService<DistributedApplicationExecutionContext>(), logger, context.CancellationToken);
            foreach (var (name, value) in configuration.EnvironmentVariables)
            {
                start.Environment[name] = value;
            }

            using var process = Process.Start(start)!;
            var said = new List<string>();
            var output = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    logger.LogInformation("{Line}", line);
                    said.Add(line);
                }
            });
            var errors = process.StandardError.ReadToEndAsync(context.CancellationToken);
            try
            {
                await process.WaitForExitAsync(context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Asked to stop (the AppHost stops): the mover undoes a move the target has not taken, or finishes one it has.
                await StopAsync(process);
                throw;
            }

            await output;
            return process.ExitCode == 0
                ? CommandResults.Success(said.LastOrDefault() ?? "moved")
                : CommandResults.Failure((await errors).Trim() is { Length: > 0 } error ? error : $"exit code {process.ExitCode}");
        }, new CommandOptions
        {
            Description = "Moves one bucket of customers to another shard while the service runs; only that bucket's writes wait, for a moment.",
            IconName = "ArrowSwap",
            UpdateState = DrillCommands.WhileRunning,
            Arguments =
            [
                new InteractionInput { Name = BucketName, Label = $"Bucket (0-{Buckets - 1})", InputType = InputType.Number, Required = true },
                new InteractionInput
                {
                    Name = ShardName, Label = "To shard", InputType = InputType.Choice, Required = true,
                    Options = [.. shards.Select(s => KeyValuePair.Create(s.Name, s.Name))],
                },
            ],
        });
    }

    private const string BucketMover = "move-bucket"; // Platform.Data.Sharding.BucketMover.Argument

    /// <summary>How long a stopped move may take to wind down: its clean-up waits twice the routers' refresh interval.</summary>
    private static readonly TimeSpan WindDown = TimeSpan.FromSeconds(30);

    private static async Task StopAsync(Process process)
    {
        try
        {
            await LocalProcess.RunAsync("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
            using var patience = new CancellationTokenSource(WindDown);
            await process.WaitForExitAsync(patience.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or DistributedApplicationException)
        {
            process.Kill(entireProcessTree: true); // it did not wind down (or could not be asked to)
        }
    }
}
