namespace Platform.Web.Api;

/// <summary>What went wrong with a call, in words for the page: never an exception that ends the circuit.</summary>
public sealed record ApiProblem(int Status, string Title, string? Detail = null, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public bool IsConflict => Status == 412;

    public bool IsNotFound => Status == 404;

    public bool SessionEnded => Status == 401;
}

/// <summary>A call's value, or its problem; with the response's <c>ETag</c> and <c>Consistency-Token</c>.</summary>
public sealed record ApiResult<T>(T? Value, ApiProblem? Problem, string? ETag = null, string? ConsistencyToken = null)
{
    public bool Succeeded => Problem is null;
}
