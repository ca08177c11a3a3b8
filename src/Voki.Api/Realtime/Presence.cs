using System.Security.Cryptography;
using System.Text.Json;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.Realtime;

namespace Voki.Api.Realtime;

/// <summary>
/// <c>presence:{department_id}</c>: the staff online in a department, in Phoenix Presence's shape so the
/// official client's <c>Presence</c> syncs it. Joining tracks this socket in the department's
/// <see cref="IPresenceGrain"/> and pushes <c>presence_state</c>; every change reaches the members as
/// <c>presence_diff</c>. The socket refreshes its entry every third of the TTL and puts it back if the
/// grain lost it; leaving or closing removes it, and a crashed node's entries expire with the TTL.
/// </summary>
public sealed class PresenceChannel(PhoenixSocket socket, string topic, ChannelTopic parsed, string? joinRef)
    : TopicChannel(socket, topic, parsed, joinRef)
{
    private readonly CancellationTokenSource _stop = new();
    private PresenceMeta? _meta;
    private Task? _refresher;

    private IPresenceGrain Grain => Services.Grains.GetGrain<IPresenceGrain>(StreamKey);
    private string Key => Who.UserId!.Value.ToString();
    private TimeSpan Ttl => Services.Options.PresenceTtl;

    public override async Task<ChannelReply> JoinAsync(JsonElement payload)
    {
        if (!await Services.Authorization.MayFollowDepartment(Who, Parsed.Id)) return ChannelReply.Failure(ChannelReply.Unauthorized);
        await FollowStreamAsync();
        _meta = new PresenceMeta
        {
            PhxRef = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)),
            Name = Who.Name,
            Role = Who.Role!.Value.Name(),
            OnlineAt = RealtimePublisher.Timestamp(DateTime.UtcNow),
        };
        var everyone = await Grain.Track(Key, _meta, Ttl);
        _refresher = KeepAlive(_meta);
        return ChannelReply.Success() with
        {
            Then = () =>
            {
                Push("presence_state", JsonSerializer.Serialize(PresencePayload.State(everyone), Json.Options));
                return Task.CompletedTask;
            },
        };
    }

    private async Task KeepAlive(PresenceMeta meta)
    {
        using var timer = new PeriodicTimer(Ttl / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    if (!await Grain.Refresh(meta.PhxRef, Ttl)) await Grain.Track(Key, meta, Ttl);
                }
                catch (Exception e)
                {
                    Services.Logger.LogWarning(e, "Presence refresh on {Topic} failed; retrying", Topic);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    protected override async Task OnLeaveAsync()
    {
        await _stop.CancelAsync();
        if (_refresher is not null) await _refresher;
        if (_meta is null) return;
        try
        {
            await Grain.Untrack(_meta.PhxRef);
        }
        catch (Exception e)
        {
            Services.Logger.LogWarning(e, "Presence untrack on {Topic} failed; the entry expires on its own", Topic);
        }
    }
}
