using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Grains;

public sealed class DepartmentGrain(
    [PersistentState("department", "Default")] IPersistentState<Department> state,
    DepartmentRows rows, CallRows calls, PlanCatalog plans) : Grain, IDepartmentGrain
{
    public const string HasRecordingsDetail = "Department has calls with recordings and cannot be deleted; deactivate it instead";

    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task<Outcome<Department>> Create(Department draft)
    {
        if (state.State.Exists) return Failure.Conflict("Department already exists");
        if (draft.Active && await LimitMessage() is { } limit) return Failure.Invalid(limit);
        var now = Clock.Now();
        var department = draft with { Id = TenantKey.IdOf(this.GetPrimaryKeyString()), InsertedAt = now, UpdatedAt = now };
        return await Save(department);
    }

    public Task<Department?> Get() => Task.FromResult(state.State.Exists ? state.State : null);

    public async Task<Outcome<Department>> Update(DepartmentChanges c)
    {
        var s = state.State;
        if (!s.Exists) return Failure.NotFound();
        if (c.Active == true && !s.Active && await LimitMessage() is { } limit) return Failure.Invalid(limit);
        return await Save(s with
        {
            Name = c.Name ?? s.Name,
            Identifier = c.Identifier ?? s.Identifier,
            Description = c.Description ?? s.Description,
            Active = c.Active ?? s.Active,
            SectorId = c.SectorId ?? s.SectorId,
            MaxQueueSize = c.MaxQueueSize ?? s.MaxQueueSize,
            MaxWaitTime = c.MaxWaitTime ?? s.MaxWaitTime,
            UpdatedAt = Clock.Now(),
        });
    }

    public async Task<Outcome<bool>> Delete()
    {
        if (!state.State.Exists) return Failure.NotFound();
        if (await calls.DepartmentHasRecordingsAsync(Tenant, state.State.Id)) return Failure.Conflict(HasRecordingsDetail);
        await rows.DeleteAsync(Tenant, state.State.Id);
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return true;
    }

    public async Task<Outcome<Department>> SetMember(Guid userId, bool member)
    {
        if (!state.State.Exists) return Failure.NotFound();
        await rows.SetMemberAsync(Tenant, state.State.Id, userId, member);
        var count = (int)await rows.CountActiveMembersAsync(Tenant, state.State.Id);
        state.State = state.State with { UserCount = count };
        await state.WriteStateAsync();
        return state.State;
    }

    private async Task<Outcome<Department>> Save(Department department)
    {
        if (!await rows.TryUpsertAsync(Tenant, department)) return Failure.Field("identifier", "has already been taken");
        state.State = department;
        await state.WriteStateAsync();
        return department;
    }

    private async Task<string?> LimitMessage()
    {
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        var max = plans[company?.Plan ?? "free"].MaxDepartments;
        return max is { } m && await rows.CountActiveAsync(Tenant) >= m
            ? $"Department limit reached: the plan allows {m} active departments" : null;
    }
}
