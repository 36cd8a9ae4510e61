using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Payments.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the worker.</summary>
internal sealed class DesignTimePaymentsDb : IDesignTimeDbContextFactory<PaymentsDb>
{
    public PaymentsDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<PaymentsDb>().UseNpgsql("Host=design-time").Options);
}
