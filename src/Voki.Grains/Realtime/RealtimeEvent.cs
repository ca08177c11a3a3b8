namespace Voki.Grains.Realtime;

/// <summary>
/// One event for the sockets subscribed to a topic, on whichever node they are connected.
/// <see cref="Payload"/> is the JSON object pushed to the client; <see cref="TargetParticipantId"/>
/// limits delivery to one participant (an SDP offer meant for one browser).
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record RealtimeEvent
{
    public string Event { get; init; } = "";
    public string Payload { get; init; } = "{}";
    public string? TargetParticipantId { get; init; }
}

/// <summary>Stream namespaces of the "Events" stream provider; each stream's key is "{tenant}/{id}".</summary>
public static class RealtimeStreams
{
    public const string Provider = "Events";
    public const string Call = "call", Queue = "queue", Presence = "presence", Notification = "notification";

    /// <summary>Per user ("{tenant}/{user_id}"), never a client topic: <see cref="SessionsEnded"/> closes the user's sockets on every node.</summary>
    public const string UserSessions = "user-sessions";

    public const string SessionsEnded = "sessions_ended";
}
