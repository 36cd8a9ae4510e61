using System.Globalization;

namespace Platform.Web;

/// <summary>Prices are shown in one currency, whatever the server's culture.</summary>
public static class Money
{
    public static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");
}
