using Platform.Data;

namespace Platform.BuildingBlocks.Tests.Data;

/// <summary>Text a client sends that Postgres would refuse (NUL) or that has no business in a name: a 400, not a 500.</summary>
public sealed class PlainTextAttributeTests
{
    [Theory]
    [InlineData("Blazor Mug", true)]
    [InlineData("Crème brûlée ☕", true)]
    [InlineData("nul\0inside", false)]
    [InlineData("bell\a", false)]
    [InlineData("two\nlines", false)]
    [InlineData("tab\there", false)]
    public void Single_line_text_has_no_control_characters(string text, bool valid) =>
        Assert.Equal(valid, new PlainTextAttribute().IsValid(text));

    [Theory]
    [InlineData("two\r\nlines\tand a tab", true)]
    [InlineData("nul\0inside", false)]
    public void Multi_line_text_may_have_line_breaks_and_tabs(string text, bool valid) =>
        Assert.Equal(valid, new PlainTextAttribute { AllowLineBreaks = true }.IsValid(text));

    [Fact]
    public void Missing_values_and_other_types_are_left_to_other_rules()
    {
        Assert.True(new PlainTextAttribute().IsValid(null));
        Assert.True(new PlainTextAttribute().IsValid(42));
        Assert.Equal("Name must not contain control characters.", new PlainTextAttribute().FormatErrorMessage("Name"));
    }
}
