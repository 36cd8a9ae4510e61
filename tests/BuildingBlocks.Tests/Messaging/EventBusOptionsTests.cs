using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Messaging;

namespace Platform.BuildingBlocks.Tests.Messaging;

/// <summary>The names and settings the bus derives from a service's registration and configuration.</summary>
public sealed class EventBusOptionsTests
{
    private static EventBusOptions Options(Action<EventBusBuilder>? configure = null, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:eventbus", "amqp://nobody:none@127.0.0.1:1/"),
            .. settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))]);
        configure?.Invoke(builder.AddEventBus("eventbus", consumer: "orders"));
        if (configure is null)
        {
            builder.AddEventBus("eventbus", consumer: "orders");
        }

        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<EventBusOptions>>().Value;
    }

    [Fact]
    public void A_consumer_has_its_durable_queue_named_after_it_and_the_default_back_off()
    {
        var options = Options();

        Assert.Equal("orders", options.Consumer);
        Assert.Equal("orders", options.Queue);
        Assert.False(options.EachInstance);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)], options.RetryDelays);
    }

    [Fact]
    public void Configured_retry_delays_replace_the_defaults()
    {
        var options = Options(null, ("EventBus:RetryDelays:0", "00:00:02"), ("EventBus:RetryDelays:1", "00:00:30"));

        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)], options.RetryDelays);
    }

    [Fact]
    public void Each_instance_gets_a_queue_of_its_own()
    {
        var options = Options(bus => bus.EachInstance());

        Assert.True(options.EachInstance);
        Assert.StartsWith("orders.", options.Queue, StringComparison.Ordinal);
        Assert.Contains(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), options.Queue, StringComparison.Ordinal);
    }

    [Fact]
    public void Retry_dead_letter_and_unrouted_queues_are_named_after_their_consumer_and_exchange()
    {
        Assert.Equal("orders.retry.0", EventTopology.RetryQueue("orders", 0));
        Assert.Equal("orders.dead", EventTopology.DeadLetterQueue("orders"));
        Assert.Equal("platform.events.unrouted", EventTopology.UnroutedQueue(new EventBusOptions()));
    }
}
