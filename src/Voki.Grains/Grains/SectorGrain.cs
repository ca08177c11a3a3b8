using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Grains;

public sealed class SectorGrain([PersistentState("sector", "Default")] IPersistentState<Sector> state, SectorRows rows) : Grain, ISectorGrain
{
    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task<Outcome<Sector>> Create(Sector draft)
    {
        if (state.State.Exists) return Failure.Conflict("Sector already exists");
        var now = Clock.Now();
        return await Save(draft with { Id = TenantKey.IdOf(this.GetPrimaryKeyString()), InsertedAt = now, UpdatedAt = now });
    }

    public async Task<Sector?> Get() => state.State.Exists ? await Counted(state.State) : null;

    public async Task<Outcome<Sector>> Update(SectorChanges c)
    {
        var s = state.State;
        if (!s.Exists) return Failure.NotFound();
        return await Save(s with
        {
            Name = c.Name ?? s.Name,
            Description = c.ClearDescription ? null : c.Description ?? s.Description,
            Active = c.Active ?? s.Active,
            UpdatedAt = Clock.Now(),
        });
    }

    public async Task<Outcome<bool>> Delete()
    {
        if (!state.State.Exists) return Failure.NotFound();
        var departments = await rows.TryDeleteAsync(Tenant, state.State.Id);
        if (departments.Length > 0)
            return Failure.Invalid($"Sector has departments and cannot be deleted; move or delete them first: {string.Join(", ", departments)}");
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return true;
    }

    private async Task<Outcome<Sector>> Save(Sector sector)
    {
        if (!await rows.TryUpsertAsync(Tenant, sector)) return Failure.Field("name", "has already been taken");
        state.State = sector;
        await state.WriteStateAsync();
        return await Counted(sector);
    }

    private async Task<Sector> Counted(Sector sector) => sector with { DepartmentCount = await rows.DepartmentCountAsync(Tenant, sector.Id) };
}
