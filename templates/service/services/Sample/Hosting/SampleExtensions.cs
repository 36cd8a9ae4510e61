using Platform.Contracts;
using Platform.Sample.Data;
using Platform.Sample.Orders;

namespace Platform.Sample.Hosting;

/// <summary>How the sample service is wired: its database, messaging and API.</summary>
public static class SampleExtensions
{
    /// <summary><c>sampledb</c>: commands on the Postgres primary, queries on its read replicas.</summary>
    public static IHostApplicationBuilder AddSampleDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<SampleDb>("sampledb");

    /// <summary>Consumes <c>OrderPlaced</c> once per order (inbox in sampledb) — replace it with the events this service needs.</summary>
    public static IHostApplicationBuilder AddSampleMessaging(this IHostApplicationBuilder builder)
    {
        builder.AddEventBus("eventbus", consumer: "sample")
            .AddInbox<SampleDb>()
            .AddSubscription<OrderPlaced, OrderPlacedHandler>();
        return builder.AddOutboxRelay("sampledb"); // for the events this service will publish (db.AddEvent)
    }

    /// <summary>The API: tokens for the <c>sample</c> audience, its scope, validation and OpenAPI document.</summary>
    public static IHostApplicationBuilder AddSampleApi(this IHostApplicationBuilder builder)
    {
        builder.AddApiDocumentation();
        builder.AddJwtAuthentication("sample");
        builder.Services.AddAuthorizationBuilder().AddScopePolicy(ReceivedOrdersApi.Scope);
        builder.Services.AddValidation();
        return builder;
    }
}
