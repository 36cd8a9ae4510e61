using System.Globalization;

namespace Platform.AppHost.Operations;

/// <summary>
/// A chaos drill on the dashboard: the simulated card provider declines a share of charges for a while (orders cancelled,
/// their stock returned), then approves again — what an operator watches the order flow and its alerts through.
/// </summary>
public static class PaymentDrill
{
    public const string DeclineCommand = "decline-payments";

    public const string EndCommand = "end-drill";

    /// <summary>Adds <see cref="DeclineCommand"/> (argument <c>percent</c>) and <see cref="EndCommand"/> to the payments worker (run mode only).</summary>
    public static IResourceBuilder<ProjectResource> WithDeclineDrill(this IResourceBuilder<ProjectResource> payments, string stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(payments);
        if (!payments.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return payments;
        }

        var duration = TimeSpan.Parse(payments.ApplicationBuilder.Configuration["Drills:Duration"] ?? "00:05:00", CultureInfo.InvariantCulture);
        var drill = DrillSettings.Of(payments, stateDirectory);
        return payments
            .WithCommand(DeclineCommand, "Decline payments (drill)", context =>
            {
                if (DrillCommands.Percent(context.Arguments, fallback: 50) is not { } percent)
                {
                    return Task.FromResult(CommandResults.Failure("The share of declined charges is a percentage, 0 to 100."));
                }

                drill.Start(new Dictionary<string, string> { ["Payments:FailureRate"] = (percent / 100).ToString(CultureInfo.InvariantCulture) }, duration);
                return Task.FromResult(CommandResults.Success(
                    $"The provider declines {percent} % of charges for {duration.TotalMinutes:0} minutes, or until 'End drill'."));
            }, new CommandOptions
            {
                Description = $"The simulated card provider declines a share of charges for {duration.TotalMinutes:0} minutes.",
                IconName = "Payment",
                Arguments = [new InteractionInput { Name = DrillCommands.PercentName, Label = "Charges declined (%)", InputType = InputType.Number, Value = "50", Required = true }],
                UpdateState = _ => ResourceCommandState.Enabled,
            })
            .WithCommand(EndCommand, "End drill", _ =>
            {
                drill.End();
                return Task.FromResult(CommandResults.Success("The provider is back on its own settings."));
            }, new CommandOptions
            {
                Description = "Ends a drill running on this resource.",
                IconName = "ArrowUndo",
                UpdateState = _ => ResourceCommandState.Enabled,
            });
    }
}
