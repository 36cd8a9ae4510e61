using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Platform.Sample.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeSampleDb : IDesignTimeDbContextFactory<SampleDb>
{
    public SampleDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<SampleDb>().UseNpgsql("Host=design-time").Options);
}
