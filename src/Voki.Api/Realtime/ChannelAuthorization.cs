using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Realtime;

/// <summary>
/// Who may join which topic (reference §3.2), always inside the token's tenant. A topic naming something
/// of another tenant, or nothing at all, is refused exactly like one the caller may not see.
/// </summary>
public sealed class ChannelAuthorization(IGrainFactory grains, DepartmentRows departments)
{
    public const string CustomerParticipantId = "customer";
    /// <summary>The participant role of a staff member in a call not assigned to them.</summary>
    public const string MonitorRole = "supervisor";

    /// <summary>
    /// <c>call:{id}</c>: the customer whose token names the call, the attendant assigned to it, and
    /// supervisors and above (monitoring). Returns the caller as a participant of the call, or null.
    /// </summary>
    public async Task<(Call Call, Participant Participant)?> CallParticipant(SocketIdentity who, Guid callId)
    {
        var call = await grains.GetGrain<ICallGrain>(TenantKey.For(who.Tenant, callId)).Get();
        if (call is null) return null;
        if (who.IsCustomer)
            return who.CustomerCallId == callId
                ? (call, new Participant { Id = CustomerParticipantId, Role = "customer", Name = call.CustomerName }) : null;
        if (who.UserId is not { } userId) return null;
        if (call.UserId == userId) return (call, new Participant { Id = userId.ToString(), Role = "attendant", Name = who.Name });
        if (who.AtLeast(Role.Supervisor)) return (call, new Participant { Id = userId.ToString(), Role = MonitorRole, Name = who.Name });
        return null;
    }

    /// <summary><c>queue:</c> and <c>presence:{department_id}</c>: active members of the department; supervisors and above, any department.</summary>
    public async Task<bool> MayFollowDepartment(SocketIdentity who, Guid departmentId)
    {
        if (who.UserId is not { } userId) return false;
        if (who.AtLeast(Role.Supervisor))
            return await grains.GetGrain<IDepartmentGrain>(TenantKey.For(who.Tenant, departmentId)).Get() is not null;
        return await departments.IsActiveMemberAsync(who.Tenant, departmentId, userId);
    }

    /// <summary><c>notification:{user_id}</c>: only that user.</summary>
    public static bool MayReadNotifications(SocketIdentity who, Guid userId) => who.UserId == userId;
}
