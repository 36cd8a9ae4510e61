namespace Platform.Web.Hosting;

/// <summary>The session has ended at the identity service (refresh refused): the user must sign in again.</summary>
public sealed class SessionEndedException(string message) : Exception(message);
