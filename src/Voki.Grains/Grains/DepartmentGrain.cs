using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Grains;

public sealed class DepartmentGrain(
    [PersistentState("department", "Default")] IPersistentState<Department> state,
    DepartmentRows rows, CallRows calls, PlanCatalog plans) : Grain, IDepartmentGrain
{
    private const int MaxDerivedIdentifierAttempts = 100;

    public const string HasRecordingsDetail = "Department has calls with recordings and cannot be deleted; deactivate it instead";

    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    /// <summary>A draft without an identifier gets one from its name: the first of "name", "name-2", "name-3"… still free.</summary>
    public async Task<Outcome<Department>> Create(Department draft)
    {
        if (state.State.Exists) return Failure.Conflict("Department already exists");
        if (draft.Active && await LimitMessage() is { } limit) return Failure.Invalid(limit);
        var now = Clock.Now();
        var department = draft with { Id = TenantKey.IdOf(this.GetPrimaryKeyString()), InsertedAt = now, UpdatedAt = now };
        if (draft.Identifier.Length > 0) return await Save(department);
        var taken = await rows.IdentifiersLikeAsync(Tenant, DepartmentIdentifier.From(draft.Name));
        for (var suffix = 1; suffix <= MaxDerivedIdentifierAttempts; suffix++)
        {
            var identifier = DepartmentIdentifier.From(draft.Name, suffix);
            if (taken.Contains(identifier)) continue;
            // Taken meanwhile (another node created a namesake): the next suffix is tried.
            var write = await rows.TryUpsertAsync(Tenant, department with { Identifier = identifier });
            if (write == DepartmentWrite.IdentifierTaken) continue;
            return await Stored(department with { Identifier = identifier }, write);
        }
        return Failure.Field("name", "has too many departments of the same name; send an identifier");
    }

    public async Task<Department?> Get() => state.State.Exists ? await Counted(state.State) : null;

    public async Task<Outcome<Department>> Update(DepartmentChanges c)
    {
        var s = state.State;
        if (!s.Exists) return Failure.NotFound();
        if (c.Active == true && !s.Active && await LimitMessage() is { } limit) return Failure.Invalid(limit);
        var updated = s with
        {
            Name = c.Name ?? s.Name,
            Identifier = c.Identifier ?? s.Identifier,
            Description = c.ClearDescription ? null : c.Description ?? s.Description,
            Active = c.Active ?? s.Active,
            SectorId = c.ClearSectorId ? null : c.SectorId ?? s.SectorId,
            MaxQueueSize = c.ClearMaxQueueSize ? null : c.MaxQueueSize ?? s.MaxQueueSize,
            MaxWaitTime = c.ClearMaxWaitTime ? null : c.MaxWaitTime ?? s.MaxWaitTime,
            UpdatedAt = Clock.Now(),
        };
        var write = await rows.TryUpsertAsync(Tenant, updated);
        // A sector_id stored before sectors existed names nothing (the migration cleared it in the read model):
        // an update that does not touch the sector drops it rather than refuse.
        if (write == DepartmentWrite.SectorMissing && c.SectorId is null && !c.ClearSectorId)
        {
            updated = updated with { SectorId = null };
            write = await rows.TryUpsertAsync(Tenant, updated);
        }
        return await Stored(updated, write);
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
        return await Counted(state.State);
    }

    private async Task<Outcome<Department>> Save(Department department) =>
        await Stored(department, await rows.TryUpsertAsync(Tenant, department));

    private async Task<Outcome<Department>> Stored(Department department, DepartmentWrite write)
    {
        if (write == DepartmentWrite.IdentifierTaken) return Failure.Field("identifier", "has already been taken");
        if (write == DepartmentWrite.SectorMissing) return Failure.Field("sector_id", "does not exist");
        state.State = department;
        await state.WriteStateAsync();
        return await Counted(department);
    }

    /// <summary>The active members as lists count them, now: a member's deactivation elsewhere changes it without telling this grain.</summary>
    private async Task<Department> Counted(Department department) =>
        department with { UserCount = (int)await rows.CountActiveMembersAsync(Tenant, department.Id) };

    private async Task<string?> LimitMessage()
    {
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        var max = plans[company?.Plan ?? "free"].MaxDepartments;
        return max is { } m && await rows.CountActiveAsync(Tenant) >= m
            ? $"Department limit reached: the plan allows {m} active departments" : null;
    }
}
