using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Tests.Grains;

/// <summary>The call lifecycle of decisions.md "Calls", checked on the grain that enforces it.</summary>
[Collection(GrainCollection.Name)]
public sealed class CallGrainTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task A_call_goes_queued_assigned_active_completed_and_refuses_every_other_step_naming_its_status()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains);
        var call = await t.QueuedCall();

        Assert.Equal("Cannot complete a call that is queued", GrainTenant.Refused(await call.Complete(t.Attendant, null)));

        var assigned = GrainTenant.Ok(await call.Assign(t.Attendant, null));
        Assert.Equal(CallStatus.Queued, assigned.Status);
        Assert.Equal(t.Attendant.UserId, assigned.UserId);
        Assert.NotNull(assigned.AssignedAt);
        Assert.Null(assigned.StartedAt);

        var active = GrainTenant.Ok(await call.Start(t.Attendant));
        Assert.Equal(CallStatus.Active, active.Status);
        Assert.Equal(assigned.AssignedAt, active.AssignedAt);
        Assert.NotNull(active.StartedAt);
        Assert.True(active.WaitTime >= 0);
        Assert.Equal("Cannot start a call that is active", GrainTenant.Refused(await call.Start(t.Attendant)));
        Assert.Equal("Cannot assign a call that is active", GrainTenant.Refused(await call.Assign(t.Attendant, null)));
        Assert.Equal("Cannot cancel a call that is active", GrainTenant.Refused(await call.Cancel(t.Owner)));

        var completed = GrainTenant.Ok(await call.Complete(t.Attendant, "Segunda via enviada"));
        Assert.Equal(CallStatus.Completed, completed.Status);
        Assert.Equal("Segunda via enviada", completed.Notes);
        Assert.NotNull(completed.CompletedAt);
        Assert.Equal((int)(completed.CompletedAt!.Value - completed.StartedAt!.Value).TotalSeconds, completed.Duration);
        Assert.Equal("Cannot complete a call that is completed", GrainTenant.Refused(await call.Complete(t.Attendant, null)));
        Assert.Equal("Cannot cancel a call that is completed", GrainTenant.Refused(await call.Cancel(t.Owner)));
        Assert.Equal("Cannot start a call that is completed", GrainTenant.Refused(await call.Start(t.Attendant)));
        Assert.Equal(completed, await call.Get());
    }

    [Fact]
    public async Task A_cancelled_call_is_final()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains);
        var call = await t.QueuedCall();

        Assert.Equal(CallStatus.Cancelled, GrainTenant.Ok(await call.Cancel(t.Owner)).Status);
        Assert.Equal("Cannot assign a call that is cancelled", GrainTenant.Refused(await call.Assign(t.Attendant, null)));
        Assert.Equal("Cannot start a call that is cancelled", GrainTenant.Refused(await call.Start(t.Attendant)));
        Assert.Equal("Cannot cancel a call that is cancelled", GrainTenant.Refused(await call.Cancel(t.Owner)));
        Assert.Equal("Cannot miss a call that is cancelled", GrainTenant.Refused(await call.EndWhileQueued(CallStatus.Missed)));
        Assert.Equal(CallStatus.Cancelled, (await call.Get())!.Status);
    }

    [Fact]
    public async Task Start_assigns_the_caller_when_nobody_is_assigned_and_checks_who_may_take_the_call()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains);
        var outsider = await t.User(Role.Attendant); // not a member of the department
        var call = await t.QueuedCall();

        Assert.Equal(FailureKind.Forbidden, (await call.Assign(t.Attendant, outsider.UserId)).Failure?.Kind); // attendants assign only themselves
        Assert.Equal(FailureKind.Forbidden, (await call.Start(outsider)).Failure?.Kind); // …and only in their departments
        Assert.Equal("user_id: is not an active member of the department",
            GrainTenant.Refused(await call.Assign(t.Owner, outsider.UserId)));

        var active = GrainTenant.Ok(await call.Start(t.Attendant));
        Assert.Equal(t.Attendant.UserId, active.UserId);
        Assert.Equal(active.StartedAt, active.AssignedAt);
        Assert.Equal(FailureKind.Forbidden, (await call.Complete(outsider, null)).Failure?.Kind); // not theirs to complete
        Assert.Equal(CallStatus.Completed, GrainTenant.Ok(await call.Complete(t.Owner, null)).Status); // a supervisor+ may
    }

    [Fact]
    public async Task An_unknown_call_is_not_found()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains);
        var call = t.Call(Guid.NewGuid());
        Assert.Null(await call.Get());
        Assert.Equal(FailureKind.NotFound, (await call.Start(t.Owner)).Failure?.Kind);
        Assert.Equal(FailureKind.NotFound, (await call.Cancel(t.Owner)).Failure?.Kind);
    }

    [Fact]
    public async Task The_free_plan_allows_one_active_call_at_a_time()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains, plan: "free");
        var first = await t.QueuedCall("First");
        var second = await t.QueuedCall("Second");

        GrainTenant.Ok(await first.Start(t.Attendant));
        var refusal = GrainTenant.Refused(await second.Start(t.Owner));
        Assert.Contains("Concurrent call limit", refusal);
        Assert.Contains("allows 1 active call", refusal);
        var still = (await second.Get())!;
        Assert.Equal(CallStatus.Queued, still.Status);
        Assert.Null(still.StartedAt);

        GrainTenant.Ok(await first.Complete(t.Attendant, null));
        Assert.Equal(CallStatus.Active, GrainTenant.Ok(await second.Start(t.Owner)).Status); // the slot is free again
    }

    [Fact]
    public async Task A_call_left_queued_past_the_departments_max_wait_time_turns_missed()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains, maxWaitTime: 2);
        var clock = Stopwatch.StartNew();
        var waiting = await t.QueuedCall("Waits too long");
        var answered = await t.QueuedCall("Answered in time");
        Assert.True(await HasWaitReminder(answered));
        GrainTenant.Ok(await answered.Start(t.Attendant));

        string? status = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && (status = (await waiting.Get())!.Status) == CallStatus.Queued)
            await Task.Delay(200);
        Assert.Equal(CallStatus.Missed, status);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        Assert.Equal("Cannot start a call that is missed", GrainTenant.Refused(await waiting.Start(t.Attendant)));

        // Both reminders were due at the same time: starting the call unregistered its own, so it can never turn missed.
        Assert.False(await HasWaitReminder(answered));
        Assert.Equal(CallStatus.Active, (await answered.Get())!.Status);
    }

    private async Task<bool> HasWaitReminder(ICallGrain call)
    {
        var reminders = await fixture.Cluster.Services().GetRequiredService<IReminderTable>().ReadRows(call.GetGrainId());
        return reminders.Reminders.Any(r => r.ReminderName == "max-wait");
    }
}
