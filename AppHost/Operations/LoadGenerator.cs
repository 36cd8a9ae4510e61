using System.Globalization;
using Platform.AppHost.Services;

namespace Platform.AppHost.Operations;

/// <summary>
/// A load generator on the dashboard (<c>ops/LoadGenerator</c>): the demo customer's visits through the gateway — catalog
/// reads, then an order — at a rate set by a command, so that the metrics move while a drill runs. Started and stopped
/// from the dashboard (it does not start with the platform); local runs only, never published; loopback only, like
/// everything the platform starts locally.
/// </summary>
public static class LoadGenerator
{
    public const string RateCommand = "set-rate";

    public const string RateName = "rate";

    private const double MaxRate = 50; // the generator's own bound (LoadOptions.MaxOrdersPerSecond)

    public static void AddLoadGenerator(this IDistributedApplicationBuilder builder, [ResourceName] string name,
        IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ProjectResource> identity, string stateDirectory)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }

        var generator = builder.AddBuiltProject<Projects.Platform_LoadGenerator>(name)
            .WithExplicitStart()
            .WithEnvironment("LoadGenerator__Gateway", gateway.GetEndpoint("http"))
            .WithEnvironment("LoadGenerator__Password", identity.DemoPassword())
            .WithSettingsFrom("LoadGenerator")          // --LoadGenerator:OrdersPerSecond=5, ReadsPerOrder
            .WithParentRelationship(gateway);
        var rate = DrillSettings.Of(generator, stateDirectory);
        generator.WithCommand(RateCommand, "Set rate", context =>
        {
            if (DrillCommands.Number(context.Arguments, RateName, fallback: 2, min: 0, MaxRate) is not { } perSecond)
            {
                return Task.FromResult(CommandResults.Failure($"The rate is 0 to {MaxRate} orders per second."));
            }

            rate.Start(new Dictionary<string, string> { ["LoadGenerator:OrdersPerSecond"] = perSecond.ToString(CultureInfo.InvariantCulture) }, duration: null);
            return Task.FromResult(CommandResults.Success($"{name} offers {perSecond} orders per second."));
        }, new CommandOptions
        {
            Description = "Orders per second the generator offers (0 pauses it), each after a few catalog reads; until set again.",
            IconName = "TopSpeed",
            Arguments = [new InteractionInput { Name = RateName, Label = "Orders per second", InputType = InputType.Number, Value = "2", Required = true }],
            UpdateState = _ => ResourceCommandState.Enabled,
        });
    }
}
