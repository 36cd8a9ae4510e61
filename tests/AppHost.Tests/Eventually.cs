namespace Platform.AppHost.Tests;

/// <summary>Polls what the background parts of the platform change, until it is as expected or the patience runs out.</summary>
internal static class Eventually
{
    /// <summary>Reads until <paramref name="done"/> holds and returns that value; fails with <paramref name="failure"/> of the last value.</summary>
    public static async Task<T> ReachesAsync<T>(Func<Task<T>> read, Func<T, bool> done, Func<T, Task<string>> failure, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, await failure(value));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <inheritdoc cref="ReachesAsync{T}(Func{Task{T}}, Func{T, bool}, Func{T, Task{string}}, TimeSpan)"/>
    public static Task<T> ReachesAsync<T>(Func<Task<T>> read, Func<T, bool> done, Func<T, string> failure, TimeSpan patience) =>
        ReachesAsync(read, done, value => Task.FromResult(failure(value)), patience);
}
