using System.ComponentModel.DataAnnotations;

namespace Platform.Data;

/// <summary>
/// Text without control characters (tabs and line breaks only where <see cref="AllowLineBreaks"/>). Postgres
/// refuses NUL in text, which would otherwise surface as a server error instead of a 400.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class PlainTextAttribute : ValidationAttribute
{
    /// <summary>Whether tab, carriage return and line feed are allowed (multi-line text).</summary>
    public bool AllowLineBreaks { get; set; }

    public override bool IsValid(object? value) =>
        value is not string text || !text.Any(c => char.IsControl(c) && !(AllowLineBreaks && c is '\t' or '\r' or '\n'));

    public override string FormatErrorMessage(string name) => $"{name} must not contain control characters.";
}
