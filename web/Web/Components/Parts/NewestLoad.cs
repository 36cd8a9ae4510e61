namespace Platform.Web.Components.Parts;

/// <summary>
/// The loads of a page that loads again whenever its user searches, sorts or turns a page. Only the answer of the newest
/// one counts: an older load that answers late (the page's first load, slow on a cold start, finishing after the search
/// typed meanwhile) must not replace the results the user asked for last.
/// </summary>
public sealed class NewestLoad
{
    private int _started;

    /// <summary>Runs <paramref name="load"/>; its answer, or null when a newer load started while it ran.</summary>
    public async Task<T?> RunAsync<T>(Func<Task<T>> load) where T : class
    {
        var number = Interlocked.Increment(ref _started);
        var answer = await load();
        return number == Volatile.Read(ref _started) ? answer : null;
    }
}
