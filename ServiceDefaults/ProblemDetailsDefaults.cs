using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every error is an RFC 9457 problem document, and bad input is a 4xx, never a 500: a query string or
/// body that does not bind is 400 in every environment, and validation errors name fields the way the
/// JSON does (<c>items[0].quantity</c>, not <c>Items[0].Quantity</c>). A database that is down or saturated is a
/// 503 with <c>Retry-After</c>, not a 500: the request may succeed if sent again.
/// </summary>
public static class ProblemDetailsDefaults
{
    public static TBuilder AddProblemDetailsDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails is HttpValidationProblemDetails validation)
            {
                var errors = validation.Errors.ToDictionary(e => JsonPath(e.Key), e => e.Value);
                validation.Errors.Clear();
                foreach (var (key, messages) in errors)
                {
                    validation.Errors[key] = messages;
                }
            }

            if (context.Exception is BadHttpRequestException bad && context.ProblemDetails.Detail is null)
            {
                context.ProblemDetails.Detail = bad.Message; // says what was wrong with the request, nothing about the server
            }

            if (context.ProblemDetails.Status == StatusCodes.Status503ServiceUnavailable)
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
            }
        });
        builder.Services.Configure<ExceptionHandlerOptions>(options => options.StatusCodeSelector = StatusCodeOf);
        // Development otherwise throws on binding failures, which the exception handler would turn into a 500.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
        return builder;
    }

    /// <summary>
    /// The status of a request the server refused to read (<see cref="BadHttpRequestException"/>: a body over the limit is
    /// 413, a malformed form 400 — thrown where a page or form binding reads it); 503 for a transient database failure
    /// anywhere in the exception's chain (a server restarting, or every pooled connection busy for the pool's whole
    /// timeout: Npgsql says so with <see cref="DbException.IsTransient"/>); else 500.
    /// </summary>
    public static int StatusCodeOf(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException bad)
            {
                return bad.StatusCode;
            }

            if (e is DbException { IsTransient: true })
            {
                return StatusCodes.Status503ServiceUnavailable;
            }

            // Npgsql's "no suitable host" (every host of a multi-host connection string failed, or is still marked down
            // after an outage) carries each host's failure in an AggregateException.
            if (e is AggregateException many && many.InnerExceptions.Any(inner => StatusCodeOf(inner) == StatusCodes.Status503ServiceUnavailable))
            {
                return StatusCodes.Status503ServiceUnavailable;
            }
        }

        return StatusCodes.Status500InternalServerError;
    }

    /// <summary><c>Items[0].ProductId</c> → <c>items[0].productId</c>; keys that are not member paths (header names) stay as they are.</summary>
    public static string JsonPath(string key) => key.Contains('-', StringComparison.Ordinal)
        ? key
        : string.Join('.', key.Split('.').Select(JsonNamingPolicy.CamelCase.ConvertName));
}
