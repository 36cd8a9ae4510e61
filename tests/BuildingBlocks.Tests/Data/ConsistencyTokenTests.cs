using Platform.Data;

namespace Platform.BuildingBlocks.Tests.Data;

/// <summary>The token a client gets after a write and sends back to read it: parsing, order, the later of two.</summary>
public sealed class ConsistencyTokenTests
{
    [Theory]
    [InlineData("0/16B3748")]
    [InlineData("1A/0")]
    [InlineData("FFFFFFFF/FFFFFFFF")]
    [InlineData("6f1c2e0a9b3d4c5e:0/16B3748")] // with the cluster that wrote it
    [InlineData("ffffffffffffffff:FFFFFFFF/FFFFFFFF")]
    public void A_log_position_parses_and_prints_the_same(string text)
    {
        Assert.True(ConsistencyToken.TryParse(text, out var token));
        Assert.Equal(text, token.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-position")]
    [InlineData("0/16B3748 ")]
    [InlineData("123456789/123456789")] // longer than any position
    [InlineData("6f1c2e0a:0/16B3748")] // a cluster is 16 hex digits
    [InlineData("6f1c2e0a9b3d4c5g:0/16B3748")]
    [InlineData("-f1c2e0a9b3d4c5e:0/16B3748")]
    [InlineData("6f1c2e0a9b3d4c5e:")]
    [InlineData("6f1c2e0a9b3d4c5e:6f1c2e0a9b3d4c5e:0/1")]
    public void Anything_else_is_refused_and_means_no_token(string? text)
    {
        Assert.False(ConsistencyToken.TryParse(text, out var token));
        Assert.Equal(ConsistencyToken.None, token);
    }

    [Fact]
    public void Tokens_are_ordered_by_log_position_and_none_comes_first()
    {
        var earlier = Token("0/100");
        var later = Token("0/200");

        Assert.True(earlier < later);
        Assert.True(later > earlier);
        Assert.True(earlier <= Token("0/100"));
        Assert.True(ConsistencyToken.None <= earlier);
        Assert.Equal(later, ConsistencyToken.Max(earlier, later));
        Assert.Equal(later, ConsistencyToken.Max(later, earlier));
        Assert.Equal(earlier, ConsistencyToken.Max(earlier, ConsistencyToken.None));
    }

    [Fact]
    public void A_token_is_from_the_cluster_it_names_and_one_that_names_none_is_taken_as_any_clusters()
    {
        var token = Token("6f1c2e0a9b3d4c5e:0/100");

        Assert.Equal(0x6f1c2e0a9b3d4c5eUL, token.Cluster);
        Assert.True(token.IsFrom(0x6f1c2e0a9b3d4c5eUL));
        Assert.False(token.IsFrom(0x6f1c2e0a9b3d4c5fUL));
        Assert.True(Token("0/100").IsFrom(0x6f1c2e0a9b3d4c5fUL));
        Assert.True(token <= Token("0/100") && token >= Token("0/100")); // ordered by position alone
    }

    internal static ConsistencyToken Token(string text) =>
        ConsistencyToken.TryParse(text, out var token) ? token : throw new ArgumentException(text, nameof(text));
}
