using Microsoft.Extensions.Logging;
using Voki.Grains.Model;
using Voki.Grains.Placement;
using Voki.Grains.ReadModel;
using Voki.Grains.Webhooks;

namespace Voki.Grains.Grains;

/// <summary>
/// One call's lifecycle (decisions.md "Calls"). The wait limit is a reminder, so a call whose
/// node dies while queued still turns <c>missed</c> on a surviving node. Active only on media nodes (its SFU session
/// lives in the activation).
/// </summary>
[MediaNodePlacementFilter]
public sealed partial class CallGrain(
    [PersistentState("call", "Default")] IPersistentState<Call> state,
    [PersistentState("quality", "Default")] IPersistentState<CallQualityReport> quality,
    CallRows rows, DepartmentRows departments, PlanCatalog plans, ILogger<CallGrain> logger)
    : Grain, ICallGrain, IRemindable
{
    private const string MaxWaitReminder = "max-wait";
    public const string NotFoundDetail = "Call not found";

    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task<Call> Open(Call draft)
    {
        if (state.State.Exists) return state.State;
        await Save(draft);
        var department = await GrainFactory.GetGrain<IDepartmentGrain>(TenantKey.For(Tenant, draft.DepartmentId)).Get();
        if (department?.MaxWaitTime is > 0 and var seconds)
            await this.RegisterOrUpdateReminder(MaxWaitReminder, TimeSpan.FromSeconds(seconds), TimeSpan.FromMinutes(1));
        return state.State;
    }

    public Task<Call?> Get() => Task.FromResult(state.State.Exists ? state.State : null);

    public async Task<Outcome<Call>> Assign(Actor actor, Guid? userId)
    {
        if (Refuse("assign", CallStatus.Queued) is { } refusal) return refusal;
        var assignee = await CheckAssignee(actor, userId ?? actor.UserId);
        if (assignee.Failure is { } failure) return failure;
        var now = Clock.Now();
        var before = state.State;
        var taken = await Take(before with { UserId = assignee.Value!.Id, UserName = assignee.Value.Name, AssignedAt = now, UpdatedAt = now });
        if (taken.Failure is null && before.UserId is { } previous && previous != taken.Value!.UserId)
            await DropFromMedia(previous.ToString(), "reassigned");
        return taken;
    }

    public async Task<Outcome<Call>> Start(Actor actor)
    {
        if (Refuse("start", CallStatus.Queued) is { } refusal) return refusal;
        var call = state.State;
        var now = Clock.Now();
        if (call.UserId is null)
        {
            var assignee = await CheckAssignee(actor, actor.UserId);
            if (assignee.Failure is { } failure) return failure;
            call = call with { UserId = actor.UserId, UserName = assignee.Value!.Name, AssignedAt = now };
        }
        else if (call.UserId != actor.UserId && actor.Role < Role.Supervisor) return Failure.Forbidden();

        var active = await Take(call with
        {
            Status = CallStatus.Active,
            StartedAt = now,
            WaitTime = (int)(now - call.InsertedAt).TotalSeconds,
            UpdatedAt = now,
        });
        if (active.Failure is null) await ForgetWaitLimit();
        return active;
    }

    /// <summary>
    /// Assigning and starting give the call media (decisions.md "Media only once the call is taken"), so both
    /// hold one of the plan's concurrent calls: every assigned or active call of the tenant counts.
    /// </summary>
    private async Task<Outcome<Call>> Take(Call taken)
    {
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        var limit = plans[company?.Plan ?? "free"].MaxConcurrentCalls;
        if (!await rows.TryTakeAsync(Tenant, taken, limit, CallWebhookEvents.Between(state.State, taken)))
            return Failure.Invalid($"Concurrent call limit reached: the plan allows {limit} active call{(limit == 1 ? "" : "s")}, and assigned calls count");
        var before = state.State;
        state.State = taken;
        await state.WriteStateAsync();
        LogChange(before, taken);
        await Announce(before, taken);
        return taken;
    }

    public async Task<Outcome<Call>> Complete(Actor actor, string? notes)
    {
        if (Refuse("complete", CallStatus.Active) is { } refusal) return refusal;
        if (state.State.UserId != actor.UserId && actor.Role < Role.Supervisor) return Failure.Forbidden();
        var now = Clock.Now();
        var capture = CaptureToHandOver();
        var completed = await Save(state.State with
        {
            Status = CallStatus.Completed,
            CompletedAt = now,
            Duration = (int)(now - (state.State.StartedAt ?? now)).TotalSeconds,
            Notes = notes ?? state.State.Notes,
            HasRecording = capture is not null || state.State.HasRecording,
            RecordingStatus = capture is not null ? Model.RecordingStatus.Processing : state.State.RecordingStatus,
            UpdatedAt = now,
        });
        if (capture is not null) await HandOverRecording(capture);
        return completed;
    }

    public Task<Outcome<Call>> Cancel(Actor actor) => EndWhileQueued(CallStatus.Cancelled);

    public async Task<Outcome<Call>> EndWhileQueued(string finalStatus)
    {
        if (Refuse(finalStatus == CallStatus.Missed ? "miss" : "cancel", CallStatus.Queued) is { } refusal) return refusal;
        await ForgetWaitLimit();
        var before = state.State;
        var ended = await Save(before with { Status = finalStatus, UpdatedAt = Clock.Now() });
        await ExpireCapture(before);
        return ended;
    }

    public async Task<Outcome<Call>> Evaluate(int rating, string? comment)
    {
        if (Refuse("evaluate", CallStatus.Completed) is { } refusal) return refusal;
        if (state.State.Rating is not null) return Failure.Invalid("Call has already been evaluated");
        return await Save(state.State with { Rating = rating, RatingComment = comment, UpdatedAt = Clock.Now() });
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == CaptureRetentionReminder)
        {
            await CaptureRetentionDue();
            return;
        }
        if (reminderName != MaxWaitReminder) return;
        if (state.State.Status == CallStatus.Queued) await EndWhileQueued(CallStatus.Missed);
        else await ForgetWaitLimit();
    }

    private Failure? Refuse(string action, string requiredStatus)
    {
        if (!state.State.Exists) return Failure.NotFound(NotFoundDetail);
        return state.State.Status == requiredStatus ? null : Failure.Invalid($"Cannot {action} a call that is {state.State.Status}");
    }

    /// <summary>Attendants take calls only for themselves and only in their departments; supervisors and above assign any active member.</summary>
    private async Task<Outcome<User>> CheckAssignee(Actor actor, Guid userId)
    {
        var self = userId == actor.UserId;
        if (!self && actor.Role < Role.Supervisor) return Failure.Forbidden();
        var isMember = await departments.IsActiveMemberAsync(Tenant, state.State.DepartmentId, userId);
        if (!isMember && !(self && actor.Role >= Role.Supervisor))
            return self ? Failure.Forbidden() : Failure.Field("user_id", "is not an active member of the department");
        var user = await GrainFactory.GetGrain<IUserGrain>(TenantKey.For(Tenant, userId)).Get();
        return user is { Active: true } ? user : Failure.Field("user_id", "is not an active member of the department");
    }

    private async Task ForgetWaitLimit()
    {
        if (await this.GetReminder(MaxWaitReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>
    /// The read model first, with the change's webhook events in its transaction, then the grain's state: a change the
    /// API can see has its events queued. Should the state write fail after that, the request fails, and the same
    /// change made again queues its events again, under new ids.
    /// </summary>
    private async Task<Outcome<Call>> Save(Call call)
    {
        await rows.UpsertAsync(Tenant, call, CallWebhookEvents.Between(state.State, call));
        var before = state.State;
        state.State = call;
        await state.WriteStateAsync();
        if (CallStatus.IsFinal(call.Status)) await EndMedia();
        LogChange(before, call);
        await Announce(before, call);
        return call;
    }

    private void LogChange(Call before, Call after)
    {
        if (!before.Exists) logger.LogInformation("Call {CallId} queued in department {DepartmentId}", after.Id, after.DepartmentId);
        else if (before.Status != after.Status) logger.LogInformation("Call {CallId} {From} -> {To}", after.Id, before.Status, after.Status);
        else if (before.UserId != after.UserId) logger.LogInformation("Call {CallId} assigned to {UserId}", after.Id, after.UserId);
    }
}
