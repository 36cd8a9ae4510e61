using Microsoft.AspNetCore.Components;
using Platform.Web.Api;
using Platform.Web.Components.Parts;

namespace Platform.Web.Tests;

/// <summary>The back office's answer to a 412: someone else's values, not an overwrite.</summary>
public sealed class ConflictDialogTests : BunitContext
{
    [Fact]
    public void Nothing_shows_without_a_conflict()
    {
        var dialog = Render<ConflictDialog>();

        Assert.Empty(dialog.Markup.Trim());
    }

    [Fact]
    public void A_conflict_shows_the_current_values_and_lets_the_user_take_them()
    {
        var taken = 0;
        var dialog = Render<ConflictDialog>(parameters => parameters
            .Add(p => p.Current, new Product(3, "Aspire Hoodie (new)", "Warm", 29.99m, 5))
            .Add(p => p.OnReload, EventCallback.Factory.Create(this, () => taken++)));

        Assert.Equal("Aspire Hoodie (new)", dialog.Find("[data-testid=current-name]").TextContent);
        Assert.Equal("$29.99", dialog.Find("[data-testid=current-price]").TextContent);
        Assert.Equal("alertdialog", dialog.Find("[role=alertdialog]").GetAttribute("role"));

        dialog.Find("button").Click();

        Assert.Equal(1, taken);
    }
}
