using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Payments.Provider;

/// <summary>The simulated card provider (configuration section <c>Payments</c>).</summary>
public sealed class PaymentProviderOptions
{
    /// <summary>How long the provider's answer takes to come back after it has recorded the charge.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The share of charges declined, 0–1.</summary>
    public double FailureRate { get; set; }
}

/// <summary>
/// Stands in for a real payment provider, with the guarantee real ones give: a charge is made once per idempotency key.
/// It records the charge (approved, or declined for a share of them), then answers after
/// <see cref="PaymentProviderOptions.Latency"/> — a caller that dies in between has been charged without knowing it,
/// and asking again with the same key returns that charge instead of making another.
/// </summary>
public sealed class PaymentProvider(NpgsqlDataSource ledger, IOptionsMonitor<PaymentProviderOptions> options, TimeProvider time)
{
    /// <summary>Charges <paramref name="amount"/> once per <paramref name="idempotencyKey"/>; true when the charge is approved.</summary>
    public async Task<bool> ChargeAsync(string idempotencyKey, string reference, decimal amount, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var decision = amount > 0 && Random.Shared.NextDouble() >= settings.FailureRate ? ProviderCharge.Approved : ProviderCharge.Declined;
        // A repeated key updates nothing (status stays) but returns the row it conflicts with, even one committed meanwhile.
        await using var command = ledger.CreateCommand("""
            INSERT INTO provider.charges AS c (idempotency_key, reference, amount, status, created_at) VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (idempotency_key) DO UPDATE SET status = c.status
            RETURNING status
            """);
        command.Parameters.Add(new() { Value = idempotencyKey });
        command.Parameters.Add(new() { Value = reference });
        command.Parameters.Add(new() { Value = amount });
        command.Parameters.Add(new() { Value = decision });
        var status = (string?)await command.ExecuteScalarAsync(cancellationToken);
        await Task.Delay(settings.Latency, time, cancellationToken);
        return status == ProviderCharge.Approved;
    }

    /// <summary>
    /// Cancels whatever was charged with <paramref name="idempotencyKey"/>: an approved charge is refunded, and a key never
    /// charged is voided, so that a charge arriving later with it is declined. Returns the charge's status afterwards.
    /// </summary>
    public async Task<string> CancelAsync(string idempotencyKey, string reference, CancellationToken cancellationToken)
    {
        await using var command = ledger.CreateCommand($"""
            INSERT INTO provider.charges AS c (idempotency_key, reference, amount, status, created_at) VALUES ($1, $2, 0, '{ProviderCharge.Voided}', now())
            ON CONFLICT (idempotency_key) DO UPDATE
                SET status = CASE WHEN c.status = '{ProviderCharge.Approved}' THEN '{ProviderCharge.Refunded}' ELSE c.status END
            RETURNING status
            """);
        command.Parameters.Add(new() { Value = idempotencyKey });
        command.Parameters.Add(new() { Value = reference });
        var status = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        await Task.Delay(options.CurrentValue.Latency, time, cancellationToken);
        return status;
    }
}
