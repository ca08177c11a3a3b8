using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Grains;

public sealed class TagGrain([PersistentState("tag", "Default")] IPersistentState<Tag> state, TagRows rows) : Grain, ITagGrain
{
    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task<Outcome<Tag>> Create(Tag draft)
    {
        if (state.State.Exists) return Failure.Conflict("Tag already exists");
        var now = Clock.Now();
        return await Save(draft with { Id = TenantKey.IdOf(this.GetPrimaryKeyString()), InsertedAt = now, UpdatedAt = now });
    }

    public async Task<Tag?> Get() => state.State.Exists ? await Counted(state.State) : null;

    public async Task<Outcome<Tag>> Update(TagChanges c)
    {
        var s = state.State;
        if (!s.Exists) return Failure.NotFound();
        return await Save(s with
        {
            Name = c.Name ?? s.Name,
            Color = c.Color ?? s.Color,
            ParentId = c.ClearParent ? null : c.ParentId ?? s.ParentId,
            UpdatedAt = Clock.Now(),
        });
    }

    public async Task<Outcome<bool>> Delete()
    {
        if (!state.State.Exists) return Failure.NotFound();
        var children = await rows.TryDeleteAsync(Tenant, state.State.Id);
        if (children.Length > 0)
            return Failure.Invalid($"Tag has child tags and cannot be deleted; move or delete them first: {string.Join(", ", children)}");
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return true;
    }

    private async Task<Outcome<Tag>> Save(Tag tag)
    {
        switch (await rows.TryUpsertAsync(Tenant, tag))
        {
            case TagWrite.NameTaken: return Failure.Field("name", "has already been taken");
            case TagWrite.ParentMissing: return Failure.Field("parent_id", "does not exist");
            case TagWrite.Cycle: return Failure.Field("parent_id", "cannot be the tag itself or one of its descendants");
        }
        state.State = tag;
        await state.WriteStateAsync();
        return await Counted(tag);
    }

    private async Task<Tag> Counted(Tag tag) => tag with { UsageCount = await rows.UsageCountAsync(Tenant, tag.Id) };
}
