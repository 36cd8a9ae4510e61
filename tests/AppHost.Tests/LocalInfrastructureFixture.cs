namespace Platform.AppHost.Tests;

/// <summary>One running platform (local mode, cold state folder) shared by a collection.</summary>
public sealed class LocalInfrastructureFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app has not started.");

    public string StateDirectory { get; } = PlatformApp.NewStateDirectory();

    public async ValueTask InitializeAsync() =>
        _app = await PlatformApp.StartLocalAsync(StateDirectory, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Directory.Delete(StateDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class LocalInfrastructureCollection : ICollectionFixture<LocalInfrastructureFixture>
{
    public const string Name = "local infrastructure";
}
