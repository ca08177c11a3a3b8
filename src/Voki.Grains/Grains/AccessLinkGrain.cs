using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Grains;

public sealed class AccessLinkGrain(
    [PersistentState("access_link", "Default")] IPersistentState<AccessLink> state,
    AccessLinkRows rows, CallRows calls, CustomerStore customers) : Grain, IAccessLinkGrain
{
    public const string InvalidLinkDetail = "Invalid or expired access link";

    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task<Outcome<AccessLink>> Create(NewAccessLink request)
    {
        if (state.State.Exists) return Failure.Conflict("Access link already exists");
        var department = await GrainFactory.GetGrain<IDepartmentGrain>(TenantKey.For(Tenant, request.DepartmentId)).Get();
        if (department is null) return Failure.Field("department_id", "does not exist");
        if (request.CustomerId is { } customerId && !await customers.ExistsAsync(Tenant, customerId)) return Failure.Field("customer_id", "does not exist");
        var now = Clock.Now();
        return await Save(new AccessLink
        {
            Id = TenantKey.IdOf(this.GetPrimaryKeyString()),
            Token = request.Token,
            Url = request.Url,
            DepartmentId = request.DepartmentId,
            DepartmentName = department.Name,
            CustomerName = request.CustomerName,
            CustomerEmail = request.CustomerEmail,
            CustomerPhone = request.CustomerPhone,
            SingleUse = request.SingleUse,
            ExpiresAt = request.ExpiresAt,
            CustomerId = request.CustomerId,
            InsertedAt = now,
            UpdatedAt = now,
        });
    }

    public async Task<AccessLink?> Get()
    {
        if (!state.State.Exists) return null;
        var department = await GrainFactory.GetGrain<IDepartmentGrain>(TenantKey.For(Tenant, state.State.DepartmentId)).Get();
        return state.State.AsOf(DateTime.UtcNow) with { DepartmentName = department?.Name ?? state.State.DepartmentName };
    }

    public async Task<Outcome<AccessLink>> Cancel()
    {
        if (!state.State.Exists) return Failure.NotFound();
        var status = state.State.EffectiveStatus(DateTime.UtcNow);
        if (status != AccessLinkStatus.Active) return Failure.Invalid($"Cannot cancel an access link that is {status}");
        if (state.State.CallId is { } callId)
            await GrainFactory.GetGrain<ICallGrain>(TenantKey.For(Tenant, callId)).EndWhileQueued(CallStatus.Cancelled);
        return await Save(state.State with { Status = AccessLinkStatus.Cancelled, UpdatedAt = Clock.Now() });
    }

    public async Task<Outcome<Call>> Join(CustomerDetails customer)
    {
        var link = state.State;
        if (!link.Exists || link.EffectiveStatus(DateTime.UtcNow) != AccessLinkStatus.Active) return Failure.NotFound(InvalidLinkDetail);
        var department = await GrainFactory.GetGrain<IDepartmentGrain>(TenantKey.For(Tenant, link.DepartmentId)).Get();
        if (department is not { Active: true }) return Failure.NotFound(InvalidLinkDetail);
        if (department.MaxQueueSize is { } max && await calls.QueueSizeAsync(Tenant, department.Id) >= max)
            return Failure.Invalid($"Queue is full: the department allows {max} customers waiting");

        var email = customer.Email ?? link.CustomerEmail;
        var phone = customer.Phone ?? link.CustomerPhone;
        var (customerId, _) = await customers.MatchOrCreateAsync(Tenant, link.CustomerId, new JoiningCustomer(customer.Name, email, phone));
        var now = Clock.Now();
        var callId = Guid.NewGuid();
        var call = await GrainFactory.GetGrain<ICallGrain>(TenantKey.For(Tenant, callId)).Open(new Call
        {
            Id = callId,
            Protocol = $"{now:yyyyMMdd}{Random.Shared.Next(0, 1_000_000):D6}",
            DepartmentId = department.Id,
            DepartmentName = department.Name,
            CustomerName = customer.Name,
            CustomerEmail = email,
            CustomerPhone = phone,
            CustomerId = customerId,
            Reason = customer.Reason,
            AccessLinkId = link.Id,
            InsertedAt = now,
            UpdatedAt = now,
        });
        await Save(link with
        {
            Status = link.SingleUse ? AccessLinkStatus.Used : link.Status,
            UsedAt = now,
            CallId = callId,
            // A reusable link admits many people: it keeps only the customer it was made for.
            CustomerId = link.SingleUse ? customerId : link.CustomerId,
            UpdatedAt = now,
        });
        return call;
    }

    public async Task RelinkCustomer(Guid? customerId)
    {
        if (!state.State.Exists || state.State.CustomerId == customerId) return;
        state.State = state.State with { CustomerId = customerId };
        await state.WriteStateAsync();
    }

    private async Task<Outcome<AccessLink>> Save(AccessLink link)
    {
        await rows.UpsertAsync(Tenant, link);
        state.State = link;
        await state.WriteStateAsync();
        return link.AsOf(DateTime.UtcNow);
    }
}
