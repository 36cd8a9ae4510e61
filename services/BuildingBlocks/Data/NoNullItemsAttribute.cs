using System.Collections;
using System.ComponentModel.DataAnnotations;

namespace Platform.Data;

/// <summary>
/// A list whose every element is present. JSON allows <c>[null]</c>, and validation looks only inside the elements that
/// are there, so a missing one would reach the handler (a server error instead of a 400).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class NoNullItemsAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) => value is not IEnumerable items || items.Cast<object?>().All(item => item is not null);

    public override string FormatErrorMessage(string name) => $"{name} must not contain null.";
}
