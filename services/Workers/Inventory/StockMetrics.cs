using System.Diagnostics.Metrics;

namespace Platform.Inventory;

/// <summary>Stock reservations made, rejected and released (meter <c>Platform.Inventory</c>); docs/operations.md lists them.</summary>
public sealed class StockMetrics
{
    public const string MeterName = "Platform.Inventory";

    private readonly Counter<long> _reservations;
    private readonly Counter<long> _releases;

    public StockMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _reservations = meter.CreateCounter<long>("inventory.reservations", "{order}", "Orders whose stock was reserved or rejected, by outcome.");
        _releases = meter.CreateCounter<long>("inventory.releases", "{order}", "Reservations released: the payment failed or the order expired.");
    }

    public void Reserved() => _reservations.Add(1, new KeyValuePair<string, object?>("outcome", "reserved"));

    public void Rejected() => _reservations.Add(1, new KeyValuePair<string, object?>("outcome", "rejected"));

    public void Released() => _releases.Add(1);
}
