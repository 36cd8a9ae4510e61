namespace Platform.Orders.Data;

public static class OrdersDatabaseExtensions
{
    /// <summary><c>ordersdb</c>: commands on the Postgres primary, queries on its read replicas.</summary>
    public static IHostApplicationBuilder AddOrdersDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<OrdersDb>("ordersdb");
}
