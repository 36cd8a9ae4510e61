namespace Platform.Bench;

/// <summary>Samples the platform's memory twice a second until disposed.</summary>
internal sealed class PeakMemory : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;

    public PeakMemory() => _sampler = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = ProcessTree.ResidentMemory();
            if (now.Total > Peak.Total)
            {
                Peak = now;
            }

            await Task.Delay(500);
        }
    });

    public ProcessTree.Memory Peak { get; private set; } = new(0, new Dictionary<string, long>());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
    }
}
