using Microsoft.Extensions.Time.Testing;
using Platform.Messaging;

namespace Platform.BuildingBlocks.Tests.Messaging;

/// <summary>Whether a reader may have missed an event: the consumer's state and since when it has received without a break.</summary>
public sealed class ConsumerStatusTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_consumer_that_never_received_has_missed_everything()
    {
        var status = new ConsumerStatus(_time);

        Assert.Null(status.ConsumingSince);
        Assert.False(status.ReceivingSince(_time.GetUtcNow()));
    }

    [Fact]
    public void Receiving_counts_from_its_first_start_not_from_every_check()
    {
        var status = new ConsumerStatus(_time);
        var started = _time.GetUtcNow();
        status.Receiving();
        _time.Advance(TimeSpan.FromSeconds(5));
        status.Receiving(); // the periodic check: still the same run

        Assert.Equal(started, status.ConsumingSince);
        Assert.True(status.ReceivingSince(started));
        Assert.True(status.ReceivingSince(started.AddSeconds(3)));
        Assert.False(status.ReceivingSince(started.AddSeconds(-1))); // before it started: it may have missed something
    }

    [Fact]
    public void An_interruption_starts_a_new_run_so_readers_from_before_it_know_they_may_have_missed_events()
    {
        var status = new ConsumerStatus(_time);
        status.Receiving();
        _time.Advance(TimeSpan.FromSeconds(5));
        var reader = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(5));

        status.Interrupted();
        Assert.False(status.ReceivingSince(reader));
        _time.Advance(TimeSpan.FromSeconds(5));
        status.Receiving();

        Assert.False(status.ReceivingSince(reader));
        Assert.True(status.ReceivingSince(_time.GetUtcNow()));
    }
}
