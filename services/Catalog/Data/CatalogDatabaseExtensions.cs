namespace Platform.Catalog.Data;

public static class CatalogDatabaseExtensions
{
    /// <summary><c>catalogdb</c>: commands on the Postgres primary, queries on its read replicas.</summary>
    public static IHostApplicationBuilder AddCatalogDatabase(this IHostApplicationBuilder builder) =>
        builder.AddReplicatedDatabase<CatalogDb>("catalogdb");
}
