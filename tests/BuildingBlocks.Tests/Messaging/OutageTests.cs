using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Data.Sharding;

namespace Platform.BuildingBlocks.Tests.Messaging;

/// <summary>Which handler failures are a database away (retried without spending attempts), and how the wait grows.</summary>
public sealed class OutageTests
{
    public static TheoryData<Exception, bool> Failures => new()
    {
        { new NpgsqlException("connection refused", new System.Net.Sockets.SocketException(111)), true }, // a server down: transient
        { new ShardUnavailableException(7), true },                                                       // a bucket being moved
        { new DbUpdateException("saving failed", new NpgsqlException("broken", new EndOfStreamException())), true }, // wrapped by EF
        { new NpgsqlException("No suitable host was found.", new AggregateException(new NpgsqlException("refused", new TimeoutException()))), true },
        { new AggregateException(new InvalidOperationException("a bug"), new ShardUnavailableException(1)), true },
        { new InvalidOperationException("a bug"), false },
        { new NpgsqlException("not transient"), false },
        { new DbUpdateException("a constraint", new InvalidOperationException("duplicate key")), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_transient_database_failure_anywhere_in_the_chain_is_an_outage_anything_else_is_the_messages(Exception failure, bool outage) =>
        Assert.Equal(outage, Platform.Messaging.EventConsumer.IsOutage(failure));

    [Theory]
    [InlineData(0, 0)]     // just failed: the shortest delay
    [InlineData(4.9, 0)]
    [InlineData(5, 1)]     // lasted 5 s: wait 5 s
    [InlineData(14, 1)]
    [InlineData(15, 2)]
    [InlineData(3600, 2)]  // the longest, however long it lasts
    public void An_outages_retry_delay_is_the_longest_not_longer_than_it_has_lasted(double seconds, int step) =>
        Assert.Equal(step, Platform.Messaging.EventConsumer.OutageStep([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)],
            TimeSpan.FromSeconds(seconds)));
}
