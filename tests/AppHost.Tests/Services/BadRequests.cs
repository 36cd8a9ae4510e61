using System.Text;
using System.Text.Json.Nodes;

namespace Platform.AppHost.Tests.Services;

/// <summary>One malformed request, described for the failure message.</summary>
internal sealed record BadRequest(string Description, HttpMethod Method, string PathAndQuery, string? Body, string? ContentType,
    IReadOnlyList<(string Name, string Value)> Headers)
{
    public HttpRequestMessage Build()
    {
        var request = new HttpRequestMessage(Method, PathAndQuery);
        if (Body is not null)
        {
            request.Content = new StringContent(Body, Encoding.UTF8);
            request.Content.Headers.ContentType = ContentType is { Length: > 0 } type ? new(type) : null;
        }

        foreach (var (name, value) in Headers)
        {
            if (name == "Authorization")
            {
                request.Headers.Authorization = System.Net.Http.Headers.AuthenticationHeaderValue.Parse(value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }
}

/// <summary>
/// Generates malformed requests for one operation of an OpenAPI document: bad path values, query strings and headers on an
/// otherwise valid request; whole bodies that are not the document's; and, property by property, values that no valid
/// request can hold — of the wrong JSON type, <c>null</c> where the type allows none, 10,000 characters, a NUL character,
/// 1,001 array items, numbers beyond any range. Every variant is invalid, so none may change anything.
/// </summary>
internal static class BadRequests
{
    private static readonly string[] BadScalars =
        ["abc", "-1", "1.5", "99999999999999999999", "\0", "' OR '1'='1", "%", new string('9', 5000)];

    private static readonly string[] BadHeaderValues = ["", "garbage", "-1", "99999999999999999999/FFFFFFFFFFFFFFFF", new string('x', 5000)];

    private static readonly (string Description, string Json)[] BadBodies =
    [
        ("empty", ""),
        ("not JSON", "{"),
        ("an array", "[]"),
        ("a string", "\"x\""),
        ("a number", "1"),
        ("null", "null"),
        ("nested 10,000 deep", new string('[', 10_000) + new string(']', 10_000)),
        ("over 64 KiB", $"{{\"x\":\"{new string('x', 70_000)}\"}}"),
        ("a lone surrogate", "{\"x\":\"\\ud800\"}"),
    ];

    public static IEnumerable<BadRequest> For(JsonNode document, string pathTemplate, string method, JsonNode operation,
        IReadOnlyDictionary<string, string> pathValues)
    {
        var parameters = operation["parameters"]?.AsArray().Select(p => p!).ToList() ?? [];
        var httpMethod = new HttpMethod(method.ToUpperInvariant());
        var bodySchema = Resolve(document, operation["requestBody"]?["content"]?["application/json"]?["schema"]);
        var validBody = bodySchema is null ? null : Example(document, bodySchema);
        var path = Fill(pathTemplate, pathValues);

        BadRequest Make(string description, string? pathAndQuery = null, string? body = null, string? contentType = "application/json",
            params (string, string)[] headers) =>
            new(description, httpMethod, pathAndQuery ?? path, body ?? validBody?.ToJsonString(), contentType, headers);

        foreach (var parameter in parameters)
        {
            var name = (string)parameter["name"]!;
            switch ((string?)parameter["in"])
            {
                case "path":
                    // Not NUL: Kestrel itself refuses a request line holding one (400) before any application code runs.
                    foreach (var bad in BadScalars.Where(b => !b.Contains('\0', StringComparison.Ordinal)))
                    {
                        yield return Make($"path {name}={Short(bad)}",
                            Fill(pathTemplate, new Dictionary<string, string>(pathValues) { [name] = bad }));
                    }

                    break;
                case "query":
                    foreach (var bad in BadScalars)
                    {
                        yield return Make($"query {name}={Short(bad)}", $"{path}?{name}={Uri.EscapeDataString(bad)}");
                    }

                    yield return Make($"query {name} twice", $"{path}?{name}=1&{name}=2");
                    break;
                case "header":
                    // A command's headers (an idempotency key, say) may hold almost anything: only an oversized one is surely bad.
                    foreach (var bad in httpMethod == HttpMethod.Get ? BadHeaderValues : BadHeaderValues.Where(b => b.Length > 1000))
                    {
                        yield return Make($"header {name}: {Short(bad)}", headers: (name, bad));
                    }

                    break;
            }
        }

        if (operation["security"] is not null)
        {
            yield return Make("a forged bearer token", headers: ("Authorization", "Bearer not.a.token"));
        }

        if (validBody is null)
        {
            yield break;
        }

        foreach (var (description, json) in BadBodies)
        {
            yield return Make($"body {description}", body: json);
        }

        yield return Make("body as text/plain", contentType: "text/plain");
        yield return Make("body without a content type", contentType: null);
        foreach (var (description, body) in BadObjects(document, bodySchema!, validBody.AsObject()))
        {
            yield return Make($"body {description}", body: body);
        }
    }

    /// <summary>The valid object with one property made invalid, for each property (and each property of an array's items).</summary>
    private static IEnumerable<(string Description, string Json)> BadObjects(JsonNode document, JsonNode schema, JsonObject valid)
    {
        foreach (var (name, propertySchema) in Properties(document, schema))
        {
            foreach (var (description, json) in BadValues(propertySchema, valid[name]))
            {
                yield return ($"{name} {description}", Replace(valid, name, json));
            }

            if (Types(propertySchema).Contains("array") && Resolve(document, propertySchema["items"]) is { } items
                && Types(items).Contains("object") && valid[name]?[0] is JsonObject validItem)
            {
                foreach (var (description, itemJson) in BadObjects(document, items, validItem))
                {
                    yield return ($"{name}[0].{description}", Replace(valid, name, $"[{itemJson}]"));
                }

                yield return ($"{name} with 1,001 items", Replace(valid, name, $"[{string.Join(",", Enumerable.Repeat(validItem.ToJsonString(), 1001))}]"));
            }
        }
    }

    /// <summary>JSON values no property of this schema may hold.</summary>
    private static IEnumerable<(string Description, string Json)> BadValues(JsonNode schema, JsonNode? valid)
    {
        var types = Types(schema);
        if (!types.Contains("null"))
        {
            yield return ("null", "null");
        }

        if (types.Contains("string") && !types.Overlaps(["integer", "number"]))
        {
            yield return ("a number", "12345");
            // The valid value grown to over 10,000 characters, keeping its shape (an e-mail address stays one).
            yield return ("over 10,000 characters", JsonValue.Create(new string('x', 10_000) + (string?)valid).ToJsonString());
            yield return ("a NUL character", "\"\\u0000\"");
        }

        if (types.Overlaps(["integer", "number"]))
        {
            yield return ("not a number", "\"abc\"");
            yield return ("too large for any range", "99999999999999999999999");
            yield return ("too small for any range", "-99999999999999999999999");
            yield return ("beyond a double", "1e400");
            if (!types.Contains("number"))
            {
                yield return ("a fraction", "1.5");
            }
        }

        if (types.Contains("array"))
        {
            yield return ("a string", "\"x\"");
            yield return ("holding null", "[null]");
        }

        yield return ("an object", "{}");
        yield return ("a boolean", "true");
    }

    private static string Replace(JsonObject valid, string name, string json)
    {
        var copy = valid.DeepClone().AsObject();
        const string marker = "\"\u0001marker\u0001\"";
        copy[name] = "\u0001marker\u0001";
        return copy.ToJsonString().Replace(marker, json, StringComparison.Ordinal);
    }

    /// <summary>A valid value for the schema: what the walker starts from, so that only the one bad part is wrong.</summary>
    private static JsonNode? Example(JsonNode document, JsonNode schema, string name = "")
    {
        var types = Types(schema);
        if (types.Contains("object"))
        {
            var example = new JsonObject();
            foreach (var (property, propertySchema) in Properties(document, schema))
            {
                example[property] = Example(document, propertySchema, property);
            }

            return example;
        }

        if (types.Contains("array"))
        {
            return new JsonArray(Example(document, Resolve(document, schema["items"])!, name));
        }

        if (types.Overlaps(["integer", "number"]))
        {
            return 1;
        }

        return name.Contains("email", StringComparison.OrdinalIgnoreCase) ? $"walker-{Guid.NewGuid():N}@example.test"
            : name.Contains("password", StringComparison.OrdinalIgnoreCase) ? WalkerPassword
            : "walker";
    }

    /// <summary>The password the walker's own user has, so that a password change reaches its validation.</summary>
    public const string WalkerPassword = "Walker-Pass-123!";

    private static IEnumerable<(string Name, JsonNode Schema)> Properties(JsonNode document, JsonNode schema) =>
        schema["properties"]?.AsObject().Select(p => (p.Key, Resolve(document, p.Value)!)) ?? [];

    private static HashSet<string> Types(JsonNode schema) => schema["type"] switch
    {
        JsonArray many => [.. many.Select(t => (string)t!)],
        JsonValue one => [(string)one!],
        _ => schema["properties"] is not null ? ["object"] : [],
    };

    private static JsonNode? Resolve(JsonNode document, JsonNode? schema) =>
        schema?["$ref"] is { } reference
            ? document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]
            : schema;

    private static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        values.Aggregate(template, (path, value) => path.Replace($"{{{value.Key}}}", Uri.EscapeDataString(value.Value), StringComparison.Ordinal));

    private static string Short(string value) =>
        value.Length > 20 ? $"{value[..5]}… ({value.Length} chars)" : value.Replace("\0", "\\0", StringComparison.Ordinal);
}
