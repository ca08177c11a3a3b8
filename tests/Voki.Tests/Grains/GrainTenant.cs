using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Tests.Grains;

/// <summary>A tenant made through the grains themselves: company on a plan, an owner, an attendant in one department.</summary>
public sealed class GrainTenant
{
    public required IGrainFactory Grains { get; init; }
    public required string Slug { get; init; }
    public required Actor Owner { get; init; }
    public required Actor Attendant { get; init; }
    public required Guid DepartmentId { get; init; }

    public static async Task<GrainTenant> CreateAsync(IGrainFactory grains, string plan = "professional", int? maxWaitTime = null)
    {
        var slug = "g" + Guid.NewGuid().ToString("N")[..12];
        Ok(await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(slug)).Create(new Company { Name = slug, Slug = slug, Plan = plan }));
        var owner = await User(grains, slug, Role.Owner);
        var attendant = await User(grains, slug, Role.Attendant);
        var departmentId = Guid.NewGuid();
        var department = grains.GetGrain<IDepartmentGrain>(TenantKey.For(slug, departmentId));
        Ok(await department.Create(new Department { Name = "Suporte", Identifier = "suporte", MaxWaitTime = maxWaitTime }));
        Ok(await department.SetMember(attendant.UserId, true));
        return new GrainTenant { Grains = grains, Slug = slug, Owner = owner, Attendant = attendant, DepartmentId = departmentId };
    }

    /// <summary>A customer waiting in the department's queue, as the widget join opens it.</summary>
    public async Task<ICallGrain> QueuedCall(string customer = "Carlos Ferreira")
    {
        var id = Guid.NewGuid();
        var grain = Call(id);
        var now = Voki.Grains.Clock.Now();
        var call = await grain.Open(new Call
        {
            Id = id, Protocol = $"{now:yyyyMMdd}000001", DepartmentId = DepartmentId, DepartmentName = "Suporte",
            CustomerName = customer, InsertedAt = now, UpdatedAt = now,
        });
        Assert.Equal(CallStatus.Queued, call.Status);
        return grain;
    }

    public ICallGrain Call(Guid id) => Grains.GetGrain<ICallGrain>(TenantKey.For(Slug, id));

    public async Task<Actor> User(Role role) => await User(Grains, Slug, role);

    private static async Task<Actor> User(IGrainFactory grains, string slug, Role role)
    {
        var id = Guid.NewGuid();
        Ok(await grains.GetGrain<IUserGrain>(TenantKey.For(slug, id))
            .Create(new User { Name = $"A {role}", Email = $"{role}-{id:N}@{slug}.test", Role = role }, "correct-horse-battery"));
        return new Actor { UserId = id, Role = role };
    }

    public static T Ok<T>(Outcome<T> outcome)
    {
        Assert.True(outcome.Failure is null, $"expected success, got {outcome.Failure?.Kind}: {outcome.Failure?.Detail}");
        return outcome.Value!;
    }

    /// <summary>The refusal's detail, after checking it is a 422-kind refusal (what the API answers).</summary>
    public static string Refused<T>(Outcome<T> outcome, FailureKind kind = FailureKind.Invalid)
    {
        Assert.True(outcome.Failure is not null, "expected a refusal, got success");
        Assert.Equal(kind, outcome.Failure!.Kind);
        return outcome.Failure.Detail ?? string.Join("; ", outcome.Failure.Fields?.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}") ?? []);
    }
}
