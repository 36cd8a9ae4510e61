using System.Diagnostics.Metrics;

namespace Platform.LoadGenerator;

/// <summary>What the generator offered and how it was answered (meter <c>Platform.LoadGenerator</c>), beside the services' own metrics.</summary>
public sealed class LoadMetrics
{
    private readonly Counter<long> _requests;
    private readonly Counter<long> _skipped;
    private long _offered;
    private long _accepted;
    private long _failed;

    public LoadMetrics(IMeterFactory meters)
    {
        var meter = meters.Create("Platform.LoadGenerator");
        _requests = meter.CreateCounter<long>("loadgen.requests", "{request}", "Requests sent, by operation (read, order) and answer (status code, or error).");
        _skipped = meter.CreateCounter<long>("loadgen.skipped", "{visit}", "Visits not sent: LoadGenerator:MaxInFlight requests were still in flight.");
    }

    public (long Offered, long Accepted, long Failed) Totals => (Interlocked.Read(ref _offered), Interlocked.Read(ref _accepted), Interlocked.Read(ref _failed));

    public void Offered() => Interlocked.Increment(ref _offered);

    public void Skipped() => _skipped.Add(1);

    public void Answered(string operation, string answer, bool ok)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("answer", answer));
        if (operation == "order")
        {
            if (ok)
            {
                Interlocked.Increment(ref _accepted);
            }
            else
            {
                Interlocked.Increment(ref _failed);
            }
        }
    }
}
