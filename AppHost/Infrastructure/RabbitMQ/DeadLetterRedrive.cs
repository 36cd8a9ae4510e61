using RabbitMQ.Client;

namespace Platform.AppHost.Infrastructure.RabbitMQ;

/// <summary>
/// The operator's way back for messages a consumer gave up on: the <c>redrive-dead-letters</c> command moves what waits in
/// <c>{consumer}.dead</c> to the consumer's queue, as a first attempt again (its last error dropped). Run it once the cause
/// is fixed; the consumer's inbox makes a message that was handled after all a no-op.
/// </summary>
public static class DeadLetterRedrive
{
    public const string CommandName = "redrive-dead-letters";

    /// <summary>Adds the command to <paramref name="resource"/>, for <paramref name="consumer"/>'s dead-letter queue.</summary>
    public static IResourceBuilder<T> WithDeadLetterRedrive<T>(this IResourceBuilder<T> resource,
        IResourceBuilder<IResourceWithConnectionString> eventBus, string consumer) where T : IResource
    {
        var probe = new ProbeConnection(eventBus.Resource, $"{resource.Resource.Name}-redrive");
        return resource.WithCommand(CommandName, "Redrive dead letters", async context =>
        {
            try
            {
                var moved = await RedriveAsync(await probe.GetAsync(context.CancellationToken), consumer, context.CancellationToken);
                return CommandResults.Success($"{moved} messages moved from {consumer}.dead to {consumer}.");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return CommandResults.Failure(e.Message);
            }
        }, new CommandOptions
        {
            Description = $"Moves the messages in {consumer}.dead back to the {consumer} queue, to be handled again.",
            ConfirmationMessage = $"Move every message in {consumer}.dead back to {consumer}?",
            IconName = "ArrowRedo",
            UpdateState = _ => ResourceCommandState.Enabled,
        });
    }

    /// <summary>Moves the messages waiting now (not those that fail again meanwhile), each acknowledged once the broker confirmed its copy.</summary>
    public static async Task<int> RedriveAsync(IConnection connection, string consumer, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var deadLetters = $"{consumer}.dead";
        var waiting = (await channel.QueueDeclarePassiveAsync(deadLetters, cancellationToken)).MessageCount;
        var moved = 0;
        while (moved < waiting && await channel.BasicGetAsync(deadLetters, autoAck: false, cancellationToken) is { } message)
        {
            var headers = message.BasicProperties.Headers?.Where(h => h.Key is not ("x-attempt" or "x-error" or "x-death"))
                .ToDictionary() ?? [];
            headers["x-attempt"] = 1;
            var properties = new BasicProperties(message.BasicProperties) { Headers = headers };
            await channel.BasicPublishAsync("", consumer, mandatory: true, properties, message.Body, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            moved++;
        }

        return moved;
    }
}
