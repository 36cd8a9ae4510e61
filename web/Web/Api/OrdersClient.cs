using System.Globalization;

namespace Platform.Web.Api;

/// <summary>The orders API through the gateway (<c>/api/orders</c>).</summary>
public sealed class OrdersClient(GatewayApi api, ReadYourWrites writes)
{
    public const int PageSize = 20;

    /// <summary>Places the order; the same <paramref name="idempotencyKey"/> again (a double click, a retry) returns the same order.</summary>
    public Task<ApiResult<OrderAccepted>> PlaceAsync(IReadOnlyList<OrderLineRequest> items, string idempotencyKey, CancellationToken ct) =>
        writes.AfterAsync(api.SendAsync<OrderAccepted>(HttpMethod.Post, "api/orders/orders", new PlaceOrder(items),
            request => request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey), ct));

    public async Task<ApiResult<Order>> GetAsync(Guid id, CancellationToken ct) =>
        await api.GetAsync<Order>($"api/orders/orders/{id}", await writes.LastAsync(), ct);

    public async Task<ApiResult<OrderPage>> ListAsync(int page, CancellationToken ct) =>
        await api.GetAsync<OrderPage>($"api/orders/orders?page={page.ToString(CultureInfo.InvariantCulture)}&pageSize={PageSize}",
            await writes.LastAsync(), ct);
}
