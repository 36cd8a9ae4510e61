using Platform.Web.Components.Parts;

namespace Platform.Web.Tests;

/// <summary>A page's first load answering after the search its user typed meanwhile: the search's results stay.</summary>
public sealed class NewestLoadTests
{
    [Fact]
    public async Task A_load_that_answers_after_a_newer_one_started_is_dropped()
    {
        var loads = new NewestLoad();
        var first = new TaskCompletionSource<string>();

        var slow = loads.RunAsync(() => first.Task);
        var search = await loads.RunAsync(() => Task.FromResult("search results"));
        first.SetResult("first page");

        Assert.Equal("search results", search);
        Assert.Null(await slow);
    }

    [Fact]
    public async Task The_newest_load_counts_even_when_an_older_one_answers_after_it()
    {
        var loads = new NewestLoad();
        var first = new TaskCompletionSource<string>();
        var second = new TaskCompletionSource<string>();

        var older = loads.RunAsync(() => first.Task);
        var newer = loads.RunAsync(() => second.Task);
        second.SetResult("page 2");
        first.SetResult("page 1");

        Assert.Equal("page 2", await newer);
        Assert.Null(await older);
        Assert.Equal("page 3", await loads.RunAsync(() => Task.FromResult("page 3")));
    }
}
