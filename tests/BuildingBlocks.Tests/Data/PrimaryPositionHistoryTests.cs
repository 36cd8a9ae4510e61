using Microsoft.Extensions.Time.Testing;
using Platform.Data;
using static Platform.BuildingBlocks.Tests.Data.ConsistencyTokenTests;

namespace Platform.BuildingBlocks.Tests.Data;

/// <summary>Samples of the primary's position that bound replica lag in time.</summary>
public sealed class PrimaryPositionHistoryTests
{
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Without_a_sample_old_enough_there_is_no_floor()
    {
        var history = new PrimaryPositionHistory(_time);
        Assert.Equal(ConsistencyToken.None, history.PositionAtLeast(TimeSpan.FromSeconds(5)));

        history.Record(Token("0/100"), Keep);
        _time.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(ConsistencyToken.None, history.PositionAtLeast(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void The_floor_is_the_newest_position_at_least_that_old()
    {
        var history = new PrimaryPositionHistory(_time);
        history.Record(Token("0/100"), Keep); // t = 0
        _time.Advance(TimeSpan.FromSeconds(2));
        history.Record(Token("0/200"), Keep); // t = 2
        _time.Advance(TimeSpan.FromSeconds(2));
        history.Record(Token("0/300"), Keep); // t = 4
        _time.Advance(TimeSpan.FromSeconds(3)); // now t = 7

        Assert.Equal(Token("0/200"), history.PositionAtLeast(TimeSpan.FromSeconds(5)));
        Assert.Equal(Token("0/300"), history.PositionAtLeast(TimeSpan.FromSeconds(3)));
        Assert.Equal(Token("0/100"), history.PositionAtLeast(TimeSpan.FromSeconds(7)));
        Assert.Equal(ConsistencyToken.None, history.PositionAtLeast(TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public void Old_samples_are_forgotten_but_the_one_at_the_windows_edge_is_kept()
    {
        var history = new PrimaryPositionHistory(_time);
        for (var i = 1; i <= 30; i++)
        {
            history.Record(Token($"0/{i:X}00"), Keep); // one a second, t = 0 … 29
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Now t = 30. At the last record (t = 29) everything older than the newest sample beyond the window (t = 18) went.
        Assert.Equal(Token("0/1500"), history.PositionAtLeast(Keep)); // t = 20
        Assert.Equal(Token("0/1300"), history.PositionAtLeast(TimeSpan.FromSeconds(12))); // t = 18, kept for the edge
        Assert.Equal(ConsistencyToken.None, history.PositionAtLeast(TimeSpan.FromSeconds(13))); // t = 17: forgotten
    }
}
