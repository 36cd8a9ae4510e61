namespace Platform.Sample.Orders;

/// <summary>An order this service heard of (<c>OrderPlaced</c>): the example of state kept from events.</summary>
public sealed class ReceivedOrder
{
    public Guid OrderId { get; set; }

    public required string BuyerId { get; set; }

    public int Items { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }
}
