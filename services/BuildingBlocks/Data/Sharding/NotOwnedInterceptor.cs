using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Platform.Data.Sharding;

/// <summary>When a shard refuses a write because it does not own the bucket (any more), the map is out of date: read it again.</summary>
internal sealed class NotOwnedInterceptor(Action refresh) : DbCommandInterceptor
{
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Check(eventData.Exception);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Check(eventData.Exception);
        return Task.CompletedTask;
    }

    private void Check(Exception exception)
    {
        if (BucketOwnership.IsNotOwned(exception))
        {
            refresh();
        }
    }
}
