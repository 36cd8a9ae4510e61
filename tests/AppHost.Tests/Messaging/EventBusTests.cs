using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Outbox;
using RabbitMQ.Client;

namespace Platform.AppHost.Tests.Messaging;

/// <summary>
/// The messaging building block on the platform's RabbitMQ and Postgres, in a host of the test's own with a
/// scratch database and a consumer name per test: outbox → relay → broker → consumer → inbox.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class EventBusTests(SharedAppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_relay_is_woken_by_the_database_when_events_are_added_not_by_polling()
    {
        // It would look for pending events only once an hour: what is relayed here, the notification brought.
        await using var bus = await ProbeBus.StartAsync(fixture.App, ("EventBus:OutboxPollInterval", "01:00:00"));
        await bus.WaitUntilAsync(db => db.Database.SqlQueryRaw<int>(
            $"SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN {OutboxNotifications.Channel}'")
            .SingleAsync(Cancellation), listeners => listeners == 1);

        foreach (var note in new[] { "woken-1", "woken-2" })
        {
            await using (var scope = bus.Host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
                db.AddEvent(new Probe(note));
                await db.SaveChangesAsync(Cancellation);
            }

            await bus.WaitUntilAsync(db => db.Handled.CountAsync(h => h.Note == note, Cancellation), count => count == 1);
        }
    }

    [Fact]
    public async Task Outbox_events_are_relayed_and_each_is_handled_once_even_when_delivered_twice()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App);
        var notes = Enumerable.Range(1, 20).Select(i => $"probe-{i}").ToList();
        var events = notes.Select(note => new Probe(note)).ToList();
        await using (var scope = bus.Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
            events.ForEach(db.AddEvent);
            await db.SaveChangesAsync(Cancellation);
        }

        await bus.WaitUntilAsync(db => db.Handled.CountAsync(Cancellation), count => count == notes.Count);
        // The broker delivers the first event again (a lost ack, a crashed consumer): the inbox skips it.
        await bus.Host.Services.GetRequiredService<EventPublisher>().PublishAsync(EventMessage.From(events[0]), Cancellation);
        await ProbeBus.StaysAsync(() => bus.Attempts.ByNote.GetValueOrDefault(notes[0]) <= 1, TimeSpan.FromSeconds(3));

        Assert.Equal(notes.Order(), await bus.QueryAsync(db => db.Handled.Select(h => h.Note).Order().ToListAsync(Cancellation)));
        Assert.Equal(0, await bus.QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.PublishedAt == null, Cancellation)));
        Assert.Equal(notes.Count, await bus.QueryAsync(db => db.Set<Platform.Messaging.Inbox.InboxMessage>().CountAsync(Cancellation)));
    }

    [Fact]
    public async Task Published_events_and_handled_message_ids_are_deleted_after_the_retention()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App, ("EventBus:Retention", "00:00:02"), ("EventBus:RetentionInterval", "00:00:00.500"));
        await using (var scope = bus.Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
            db.AddEvent(new Probe("kept-1"));
            db.AddEvent(new Probe("kept-2"));
            await db.SaveChangesAsync(Cancellation);
        }

        await bus.WaitUntilAsync(db => db.Handled.CountAsync(Cancellation), count => count == 2);
        Assert.Equal(2, await bus.QueryAsync(db => db.Set<Platform.Messaging.Inbox.InboxMessage>().CountAsync(Cancellation))); // not yet

        await bus.WaitUntilAsync(db => db.Set<Platform.Messaging.Inbox.InboxMessage>().CountAsync(Cancellation), count => count == 0);
        await bus.WaitUntilAsync(db => db.Set<OutboxMessage>().CountAsync(Cancellation), count => count == 0);
        Assert.Equal(2, await bus.QueryAsync(db => db.Handled.CountAsync(Cancellation))); // the work itself stays
    }

    [Fact]
    public async Task The_handler_runs_in_the_trace_of_the_code_that_wrote_the_event()
    {
        using var source = new System.Diagnostics.ActivitySource("Platform.Tests.Messaging");
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name is "Platform.Tests.Messaging" or "Platform.Messaging",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        await using var bus = await ProbeBus.StartAsync(fixture.App);
        string traceId;
        using (var request = source.StartActivity("request that places the event"))
        {
            traceId = request!.TraceId.ToString();
            await using var scope = bus.Host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
            db.AddEvent(new Probe("traced"));
            await db.SaveChangesAsync(Cancellation);
        }

        // Published later by the relay, outside the request: the trace travels in the outbox row and the message headers.
        await bus.WaitUntilAsync(db => db.Handled.CountAsync(Cancellation), count => count == 1);

        Assert.Equal(traceId, bus.Attempts.TraceByNote["traced"]);
    }

    [Fact]
    public async Task An_outbox_event_the_broker_keeps_returning_is_parked_with_its_error_and_no_longer_retried()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App, ("EventBus:OutboxMaxAttempts", "2"), ("EventBus:Exchange", $"parking-{Guid.NewGuid():N}"));
        var options = bus.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventBusOptions>>().Value;
        var type = EventMessage.From(new Refused("")).Type;
        await bus.AddAndWaitUntilHandledAsync("declared"); // the consumer has bound its queue to this test's exchange
        var connection = bus.Host.Services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        // The exchange lost its unrouted queue: an event no queue is bound to comes back as unroutable, every time.
        var unrouted = EventTopology.UnroutedQueue(options);
        await channel.QueueUnbindAsync(unrouted, unrouted, "", cancellationToken: Cancellation);
        try
        {
            await using (var scope = bus.Host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
                db.AddEvent(new Refused("stuck"));
                db.AddEvent(new Probe("behind"));
                await db.SaveChangesAsync(Cancellation);
            }

            await bus.WaitUntilAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.Type == type && m.ParkedAt != null, Cancellation), parked => parked == 1);
            var stuck = await bus.QueryAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Type == type, Cancellation));
            Assert.Equal(2, stuck.Attempts);
            Assert.False(string.IsNullOrEmpty(stuck.LastError));
            Assert.Null(stuck.PublishedAt);
            // Parked: what comes after goes out as usual (a batch that no longer picks the parked event up), and it is not sent again.
            await bus.AddAndWaitUntilHandledAsync("after");
            Assert.Equal(2, await bus.QueryAsync(db => db.Set<OutboxMessage>().Where(m => m.Type == type).Select(m => m.Attempts).SingleAsync(Cancellation)));
            Assert.Equal(1, await bus.QueryAsync(db => db.Handled.CountAsync(h => h.Note == "behind", Cancellation)));
        }
        finally
        {
            await channel.QueueDeleteAsync(unrouted, cancellationToken: CancellationToken.None);
            await channel.ExchangeDeleteAsync(options.Exchange, cancellationToken: CancellationToken.None);
            await channel.ExchangeDeleteAsync(unrouted, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_outbox_event_a_full_queue_refuses_waits_in_the_outbox_unparked_and_goes_out_once_there_is_room()
    {
        // One refusal would park it — if a full queue counted as one.
        await using var bus = await ProbeBus.StartAsync(fixture.App, ("EventBus:OutboxMaxAttempts", "1"));
        var exchange = bus.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventBusOptions>>().Value.Exchange;
        var type = EventMessage.From(new Refused("")).Type;
        var full = $"full-{Guid.NewGuid():N}";
        var connection = bus.Host.Services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        // A queue that holds nothing and refuses what it cannot hold: the broker answers every Refused event with a nack.
        await channel.QueueDeclareAsync(full, durable: false, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" }, cancellationToken: Cancellation);
        await channel.QueueBindAsync(full, exchange, type, cancellationToken: Cancellation);
        try
        {
            await using (var scope = bus.Host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
                db.AddEvent(new Refused("waiting"));
                await db.SaveChangesAsync(Cancellation);
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
            while (DateTime.UtcNow < deadline)
            {
                var waiting = await bus.QueryAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Type == type, Cancellation));
                Assert.Null(waiting.PublishedAt);
                Assert.Null(waiting.ParkedAt);
                Assert.Equal(0, waiting.Attempts);
                await Task.Delay(100, Cancellation);
            }
        }
        finally
        {
            await channel.QueueDeleteAsync(full, cancellationToken: CancellationToken.None);
        }

        await bus.WaitUntilAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.Type == type && m.PublishedAt != null, Cancellation), published => published == 1);
    }

    [Fact]
    public async Task A_failed_message_that_cannot_be_moved_comes_back_after_pauses_and_the_broker_dead_letters_it_at_the_delivery_limit()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App, ("EventBus:DeliveryLimit", "2"), ("EventBus:MoveRetryDelay", "00:00:00.500"));
        await bus.AddAndWaitUntilHandledAsync("declared");
        var consumer = bus.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventBusOptions>>().Value.Consumer;
        var connection = bus.Host.Services.GetRequiredService<IConnection>();
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation))
        {
            // Its first retry queue is gone: a failed message cannot be moved there (the broker returns it).
            await channel.QueueDeleteAsync(EventTopology.RetryQueue(consumer, 0), cancellationToken: Cancellation);
        }

        var started = DateTime.UtcNow;
        await using (var scope = bus.Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
            db.AddEvent(new Probe("unmovable", Fail: true));
            await db.SaveChangesAsync(Cancellation);
        }

        var dead = await bus.WaitForDeadLetterAsync();

        Assert.Equal("Probe", dead.BasicProperties.Type);
        Assert.Equal(3, bus.Attempts.ByNote["unmovable"]); // the first delivery and two more: the limit
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1), "given back without a pause: a hot loop");
    }

    [Fact]
    public async Task A_poison_message_goes_to_the_dead_letter_queue_after_the_attempts_and_blocks_nothing()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App);
        await using (var scope = bus.Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
            db.AddEvent(new Probe("poison", Fail: true));
            foreach (var i in Enumerable.Range(1, 5))
            {
                db.AddEvent(new Probe($"good-{i}"));
            }

            await db.SaveChangesAsync(Cancellation);
        }

        await bus.WaitUntilAsync(db => db.Handled.CountAsync(Cancellation), count => count == 5);
        var dead = await bus.WaitForDeadLetterAsync();

        Assert.Equal(ProbeBus.MaxAttempts, bus.Attempts.ByNote["poison"]);
        Assert.Equal("Probe", dead.BasicProperties.Type);
        Assert.Contains("poison always fails", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers![EventPublisher.ErrorHeader]!), StringComparison.Ordinal);
        Assert.Equal(0, await bus.QueryAsync(db => db.Handled.CountAsync(h => h.Note == "poison", Cancellation)));
    }

    [Fact]
    public async Task While_its_database_is_away_a_message_spends_no_attempts_it_is_handled_once_it_is_back_and_dead_lettered_only_after_the_outage_tolerance()
    {
        var tolerance = TimeSpan.FromSeconds(4);
        // Without EF's own retries (which would hold the message for a minute first): what the consumer does once they give up.
        await using var bus = await ProbeBus.StartAsync(fixture.App, ("EventBus:OutageTolerance", tolerance.ToString()),
            ("Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableRetry", "true"));
        await bus.AddAndWaitUntilHandledAsync("before-the-outage"); // the consumer's queue is bound: a direct publish reaches it

        // The database refuses connections (the outbox is there too: the events are published directly, as another service would).
        await bus.SetOnlineAsync(false);
        var weathered = await bus.PublishAsync("weathered");
        await Task.Delay(TimeSpan.FromSeconds(2), Cancellation); // 3 attempts at 0.1 s and 0.2 s would have dead-lettered it long ago
        Assert.Null(await bus.TakeDeadLetterAsync());
        await bus.SetOnlineAsync(true);
        await bus.WaitUntilAsync(db => db.Handled.CountAsync(h => h.EventId == weathered, Cancellation), count => count == 1);

        // An outage longer than the tolerance: then it is dead-lettered like any other, no sooner.
        await bus.SetOnlineAsync(false);
        try
        {
            var started = DateTime.UtcNow;
            var abandoned = await bus.PublishAsync("abandoned");
            var dead = await bus.WaitForDeadLetterAsync();
            Assert.Equal(abandoned.ToString(), dead.BasicProperties.MessageId);
            Assert.True(DateTime.UtcNow - started >= tolerance, $"dead-lettered after {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
            Assert.Contains("accepting connections", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers![EventPublisher.ErrorHeader]!), StringComparison.Ordinal);
        }
        finally
        {
            await bus.SetOnlineAsync(true);
        }
    }

    [Fact]
    public async Task A_message_with_a_malformed_attempt_header_is_dead_lettered_at_once_and_blocks_nothing()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App);
        await bus.AddAndWaitUntilHandledAsync("before-the-damaged-one"); // the consumer's queue is bound: a direct publish reaches it
        var note = $"damaged-{Guid.NewGuid():N}";
        var damaged = EventMessage.From(new Probe(note));
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) };
        await using (var connection = await factory.CreateConnectionAsync(Cancellation))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), Cancellation))
        {
            // Another client's header: a string (it arrives as bytes), and not a number.
            await channel.BasicPublishAsync(new EventBusOptions().Exchange, damaged.Type, mandatory: true,
                new BasicProperties { MessageId = damaged.Id.ToString(), Type = damaged.Type, Headers = new Dictionary<string, object?> { [EventPublisher.AttemptHeader] = "once" } },
                Encoding.UTF8.GetBytes(damaged.Payload), Cancellation);
        }

        await bus.AddAndWaitUntilHandledAsync("after-the-damaged-one");
        var dead = await bus.WaitForDeadLetterAsync();

        Assert.Equal(damaged.Id.ToString(), dead.BasicProperties.MessageId);
        Assert.Contains(EventPublisher.AttemptHeader, Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers![EventPublisher.ErrorHeader]!), StringComparison.Ordinal);
        Assert.False(bus.Attempts.ByNote.ContainsKey(note), "the handler must not run for it");
    }

    [Fact]
    public async Task An_event_nobody_subscribes_to_is_confirmed_and_kept_in_the_unrouted_queue()
    {
        await using var bus = await ProbeBus.StartAsync(fixture.App);
        var message = EventMessage.From(new Unsubscribed($"nobody-{Guid.NewGuid():N}"));

        // Completes only once the broker confirmed it (a returned or refused event throws).
        await bus.Host.Services.GetRequiredService<EventPublisher>().PublishAsync(message, Cancellation);

        var kept = await bus.WaitForMessageAsync(EventTopology.UnroutedQueue(new EventBusOptions()), m => m.BasicProperties.MessageId == message.Id.ToString());
        Assert.Equal(nameof(Unsubscribed), kept.BasicProperties.Type);
    }

    [Fact]
    public async Task An_event_published_before_its_consumer_first_started_is_delivered_when_it_starts_and_the_others_keep_waiting()
    {
        var message = EventMessage.From(new Probe($"early-{Guid.NewGuid():N}"));
        var someoneElses = EventMessage.From(new Unsubscribed($"early-{Guid.NewGuid():N}"));
        var factory = new ConnectionFactory { Uri = new Uri(await fixture.App.ConnectionStringAsync("eventbus", Cancellation)) };
        await using (var connection = await factory.CreateConnectionAsync(Cancellation))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), Cancellation))
        {
            // No queue is bound to either yet: the broker keeps the events in the unrouted queue.
            foreach (var early in new[] { someoneElses, message })
            {
                await channel.BasicPublishAsync(new EventBusOptions().Exchange, early.Type, mandatory: true,
                    new BasicProperties { MessageId = early.Id.ToString(), Type = early.Type }, Encoding.UTF8.GetBytes(early.Payload), Cancellation);
            }
        }

        await using var bus = await ProbeBus.StartAsync(fixture.App);

        await bus.WaitUntilAsync(db => db.Handled.CountAsync(Cancellation), count => count == 1);
        Assert.Equal(message.Id, await bus.QueryAsync(db => db.Set<Platform.Messaging.Inbox.InboxMessage>().Select(m => m.MessageId).SingleAsync(Cancellation)));
        // The event it does not subscribe to was left where it was, for its own consumer.
        await bus.WaitForMessageAsync(EventTopology.UnroutedQueue(new EventBusOptions()), m => m.BasicProperties.MessageId == someoneElses.Id.ToString());
    }

    /// <summary>An event type no consumer subscribes to.</summary>
    private sealed record Unsubscribed(string Note) : IntegrationEvent;

    /// <summary>An event type the broker refuses in the parking test.</summary>
    private sealed record Refused(string Note) : IntegrationEvent;

    /// <summary>A host with the event bus, an inbox and an outbox relay on a scratch database; removes its queues and database when disposed.</summary>
    private sealed class ProbeBus : IAsyncDisposable
    {
        public const int MaxAttempts = 3;

        private readonly DistributedApplication _app;
        private readonly string _database;
        private readonly string _consumer;

        private ProbeBus(DistributedApplication app, IHost host, string database, string consumer)
        {
            _app = app;
            Host = host;
            _database = database;
            _consumer = consumer;
        }

        public IHost Host { get; }

        public ProbeAttempts Attempts => Host.Services.GetRequiredService<ProbeAttempts>();

        public static async Task<ProbeBus> StartAsync(DistributedApplication app, params (string Key, string Value)[] settings)
        {
            var suffix = Guid.NewGuid().ToString("N")[..12];
            var database = $"messaging_{suffix}";
            var consumer = $"test-{suffix}";
            await app.ServerCommandAsync($"CREATE DATABASE {database}");

            var primary = $"{await app.ConnectionStringAsync("postgres", Cancellation)};Database={database}";

            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:eventbus"] = await app.ConnectionStringAsync("eventbus", Cancellation),
                ["ConnectionStrings:messagingdb"] = primary,
                ["ConnectionStrings:messagingdb-readonly"] = primary,
                ["EventBus:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["EventBus:RetryDelays:0"] = "00:00:00.100",
                ["EventBus:RetryDelays:1"] = "00:00:00.200",
            });
            builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
            builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(5));
            builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Platform.Messaging", LogLevel.Error));
            builder.AddReplicatedDatabase<MessagingDb>("messagingdb");
            builder.AddEventBus("eventbus", consumer).AddInbox<MessagingDb>().AddSubscription<Probe, ProbeHandler>();
            builder.AddOutboxRelay("messagingdb");
            builder.Services.AddSingleton<ProbeAttempts>();
            var host = builder.Build();
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
                await db.Database.EnsureCreatedAsync(Cancellation);
                await db.Database.ExecuteSqlRawAsync(OutboxNotifications.CreateSql, Cancellation); // what the services' migrations add
            }

            // The events exchange is the operator's, which the AppHost declares for the platform: a test's own one is declared here.
            var factory = new ConnectionFactory { Uri = new Uri(await app.ConnectionStringAsync("eventbus", Cancellation)) };
            await using (var connection = await factory.CreateConnectionAsync(Cancellation))
            await using (var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation))
            {
                await EventTopology.DeclareExchangeAsync(channel, host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventBusOptions>>().Value, Cancellation);
            }

            await host.StartAsync(Cancellation);
            return new ProbeBus(app, host, database, consumer);
        }

        public async Task<T> QueryAsync<T>(Func<MessagingDb, Task<T>> query)
        {
            await using var scope = Host.Services.CreateAsyncScope();
            return await query(scope.ServiceProvider.GetRequiredService<MessagingDb>());
        }

        /// <summary>Polls until <paramref name="done"/> holds; fails after <see cref="Patience"/>.</summary>
        public async Task WaitUntilAsync<T>(Func<MessagingDb, Task<T>> read, Func<T, bool> done)
        {
            var deadline = DateTime.UtcNow + Patience;
            T value;
            while (!done(value = await QueryAsync(read)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"Not reached within {Patience.TotalSeconds} s: {value}");
                await Task.Delay(50, Cancellation);
            }
        }

        /// <summary>Checks <paramref name="stillTrue"/> for <paramref name="duration"/>: something that must not happen has time to.</summary>
        public static async Task StaysAsync(Func<bool> stillTrue, TimeSpan duration)
        {
            var deadline = DateTime.UtcNow + duration;
            while (DateTime.UtcNow < deadline)
            {
                Assert.True(stillTrue());
                await Task.Delay(50, Cancellation);
            }
        }

        public async Task AddAndWaitUntilHandledAsync(string note)
        {
            await using (var scope = Host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<MessagingDb>();
                db.AddEvent(new Probe(note));
                await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            }

            await WaitUntilAsync(db => db.Handled.CountAsync(h => h.Note == note, TestContext.Current.CancellationToken), count => count == 1);
        }

        public Task<BasicGetResult> WaitForDeadLetterAsync() => WaitForMessageAsync(EventTopology.DeadLetterQueue(_consumer), _ => true);

        public async Task<BasicGetResult?> TakeDeadLetterAsync()
        {
            await using var channel = await Host.Services.GetRequiredService<IConnection>().CreateChannelAsync(cancellationToken: Cancellation);
            return await channel.BasicGetAsync(EventTopology.DeadLetterQueue(_consumer), autoAck: true, Cancellation);
        }

        /// <summary>The probe's database refuses new connections and its open ones end (or it accepts them again): a server away.</summary>
        public async Task SetOnlineAsync(bool online)
        {
            await _app.ServerCommandAsync($"ALTER DATABASE {_database} WITH ALLOW_CONNECTIONS {online}");
            if (!online)
            {
                await _app.ServerCommandAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_database}'");
            }
        }

        /// <summary>Publishes a probe event straight to the events exchange (not through the outbox); its id.</summary>
        public async Task<Guid> PublishAsync(string note)
        {
            var message = EventMessage.From(new Probe(note));
            await Host.Services.GetRequiredService<EventPublisher>().PublishAsync(message, Cancellation);
            return message.Id;
        }

        /// <summary>Takes messages off <paramref name="queue"/> until one matches; fails after <see cref="Patience"/>.</summary>
        public async Task<BasicGetResult> WaitForMessageAsync(string queue, Func<BasicGetResult, bool> match)
        {
            var connection = Host.Services.GetRequiredService<IConnection>();
            await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                if (await channel.BasicGetAsync(queue, autoAck: true, Cancellation) is { } message)
                {
                    if (match(message))
                    {
                        return message;
                    }

                    continue;
                }

                Assert.True(DateTime.UtcNow < deadline, $"No such message reached {queue}.");
                await Task.Delay(50, Cancellation);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Host.StopAsync(CancellationToken.None);
            // A connection of its own: the host's has closed with it.
            var factory = new ConnectionFactory { Uri = new Uri(await _app.ConnectionStringAsync("eventbus", CancellationToken.None)) };
            await using (var connection = await factory.CreateConnectionAsync(CancellationToken.None))
            await using (var channel = await connection.CreateChannelAsync())
            {
                foreach (var queue in new[] { _consumer, EventTopology.DeadLetterQueue(_consumer), EventTopology.RetryQueue(_consumer, 0), EventTopology.RetryQueue(_consumer, 1) })
                {
                    await channel.QueueDeleteAsync(queue);
                }

                await channel.ExchangeDeleteAsync(EventTopology.MovesExchange(_consumer));
            }

            Host.Dispose();
            NpgsqlConnection.ClearAllPools();
            await _app.ServerCommandAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        }
    }
}
