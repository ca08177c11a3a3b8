using Voki.Grains.Model;
using Voki.Grains.Realtime;

namespace Voki.Api.Realtime;

public enum TopicKind { Call, Queue, Presence, Notification }

/// <summary>A channel topic of reference §3.2, <c>{kind}:{uuid}</c>, and the event stream it follows.</summary>
public readonly record struct ChannelTopic(TopicKind Kind, Guid Id)
{
    public static bool TryParse(string topic, out ChannelTopic parsed)
    {
        parsed = default;
        var colon = topic.IndexOf(':');
        if (colon < 0 || !Guid.TryParseExact(topic.AsSpan(colon + 1), "D", out var id)) return false;
        TopicKind? kind = topic[..colon] switch
        {
            "call" => TopicKind.Call,
            "queue" => TopicKind.Queue,
            "presence" => TopicKind.Presence,
            "notification" => TopicKind.Notification,
            _ => null,
        };
        if (kind is null) return false;
        parsed = new ChannelTopic(kind.Value, id);
        return true;
    }

    public string StreamNamespace => Kind switch
    {
        TopicKind.Call => RealtimeStreams.Call,
        TopicKind.Queue => RealtimeStreams.Queue,
        TopicKind.Presence => RealtimeStreams.Presence,
        _ => RealtimeStreams.Notification,
    };

    public string StreamKey(string tenant) => TenantKey.For(tenant, Id);
}
