using System.Text.Json;

namespace Voki.Api.Realtime;

/// <summary>
/// Topics that only carry server events: <c>queue:{department_id}</c> (<c>customer_joined</c>,
/// <c>customer_left</c>, <c>call_assigned</c>) and <c>notification:{user_id}</c>.
/// </summary>
public sealed class EventChannel(PhoenixSocket socket, string topic, ChannelTopic parsed, string? joinRef)
    : TopicChannel(socket, topic, parsed, joinRef)
{
    public override async Task<ChannelReply> JoinAsync(JsonElement payload)
    {
        var allowed = Parsed.Kind == TopicKind.Notification
            ? ChannelAuthorization.MayReadNotifications(Who, Parsed.Id)
            : await Services.Authorization.MayFollowDepartment(Who, Parsed.Id);
        if (!allowed) return ChannelReply.Failure(ChannelReply.Unauthorized);
        await FollowStreamAsync();
        return ChannelReply.Success();
    }
}
