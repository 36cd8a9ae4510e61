namespace Platform.AppHost.Operations;

/// <summary>
/// What the drills' commands share. Their arguments: the dashboard asks for them (and checks that a number is a number);
/// another client may give none, and then a drill takes its default.
/// </summary>
internal static class DrillCommands
{
    /// <summary>A drill is offered while its resource runs.</summary>
    public static ResourceCommandState WhileRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    public const string SecondsName = "seconds";

    public const string PercentName = "percent";

    public static InteractionInput SecondsInput(string label, int value) =>
        new() { Name = SecondsName, Label = label, InputType = InputType.Number, Value = $"{value}", Required = true };

    /// <summary>Whole seconds, 1 to <paramref name="max"/> (<paramref name="fallback"/> when no arguments are given); null otherwise.</summary>
    public static int? Seconds(InteractionInputCollection? arguments, int fallback, int max)
    {
        try
        {
            var seconds = arguments is null ? fallback : arguments.GetInt32(SecondsName);
            return seconds >= 1 && seconds <= max ? seconds : null;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>A percentage, 0 to 100 (<paramref name="fallback"/> when no arguments are given); null otherwise.</summary>
    public static double? Percent(InteractionInputCollection? arguments, double fallback) => Number(arguments, PercentName, fallback, 0, 100);

    /// <summary>The number <paramref name="name"/>, <paramref name="min"/> to <paramref name="max"/> (<paramref name="fallback"/> when no arguments are given); null otherwise.</summary>
    public static double? Number(InteractionInputCollection? arguments, string name, double fallback, double min, double max)
    {
        try
        {
            var number = arguments is null ? fallback : arguments.GetDouble(name);
            return number >= min && number <= max ? number : null;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException)
        {
            return null;
        }
    }
}
