namespace Platform.AppHost.Infrastructure.Local;

/// <summary>
/// Gives a child resource (a database on a server) the lifecycle state of its parent. The
/// orchestrator does this for children of containers only; without a state the child's health
/// checks never run, and anything that waits for it waits forever.
/// </summary>
internal static class ParentState
{
    public static IResourceBuilder<T> WithStateOfParent<T>(this IResourceBuilder<T> child, IResource parent) where T : IResource =>
        child.OnInitializeResource((resource, evt, ct) =>
        {
            _ = Task.Run(() => MirrorAsync(resource, parent, evt.Notifications, ct), ct);
            return Task.CompletedTask;
        });

    private static async Task MirrorAsync(IResource child, IResource parent, ResourceNotificationService notifications, CancellationToken ct)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(ct))
            {
                if (update.Resource == parent)
                {
                    await notifications.PublishUpdateAsync(child, s => s with
                    {
                        State = update.Snapshot.State,
                        StartTimeStamp = update.Snapshot.StartTimeStamp,
                        StopTimeStamp = update.Snapshot.StopTimeStamp,
                    });
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the app is stopping
        }
    }
}
