using Voki.Grains.Model;
using Voki.Grains.Realtime;

namespace Voki.Grains.Grains;

/// <summary>
/// What the call's state changes tell the sockets (reference §3.2): the department's queue hears about
/// customers arriving, leaving and being taken; the call's own topic hears that it started or ended.
/// </summary>
public sealed partial class CallGrain
{
    private async Task Announce(Call before, Call after)
    {
        var queue = TenantKey.For(Tenant, after.DepartmentId);
        var self = this.GetPrimaryKeyString();
        if (!before.Exists && after.Status == CallStatus.Queued)
            await this.PublishAsync(RealtimeStreams.Queue, queue, RealtimePublisher.Event("customer_joined", new
            {
                call_id = after.Id,
                customer_name = after.CustomerName,
                position = await rows.QueuePositionAsync(Tenant, after.DepartmentId, after.Id),
                inserted_at = RealtimePublisher.Timestamp(after.InsertedAt),
                department_id = after.DepartmentId,
                reason = after.Reason,
                protocol = after.Protocol,
            }));

        if (after.UserId is { } userId && userId != before.UserId)
        {
            var assigned = RealtimePublisher.Event("call_assigned", new { call_id = after.Id, user_id = userId, user_name = after.UserName });
            await this.PublishAsync(RealtimeStreams.Queue, queue, assigned);
            await this.PublishAsync(RealtimeStreams.Call, self, assigned);
        }

        if (before.Status == CallStatus.Queued && after.Status == CallStatus.Active)
            await this.PublishAsync(RealtimeStreams.Call, self, RealtimePublisher.Event("call_started", new
            {
                call_id = after.Id, user_id = after.UserId, user_name = after.UserName,
                started_at = after.StartedAt is { } started ? RealtimePublisher.Timestamp(started) : null,
            }));

        if (before.Exists && !CallStatus.IsFinal(before.Status) && CallStatus.IsFinal(after.Status))
        {
            if (after.Status is CallStatus.Missed or CallStatus.Cancelled)
                await this.PublishAsync(RealtimeStreams.Queue, queue, RealtimePublisher.Event("customer_left", new { call_id = after.Id, status = after.Status }));
            await this.PublishAsync(RealtimeStreams.Call, self, RealtimePublisher.Event("call_ended", new { call_id = after.Id, status = after.Status }));
        }
    }
}
