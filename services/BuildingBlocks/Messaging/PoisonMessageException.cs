namespace Platform.Messaging;

/// <summary>A message that no number of retries can handle (unknown type, unreadable body): dead-lettered at once.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);
