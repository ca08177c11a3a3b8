using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Api.Endpoints;

public static partial class SignupEndpoints
{
    public sealed class CompanyPart { public string? Name { get; set; } public string? Slug { get; set; } public string? Plan { get; set; } }
    public sealed class OwnerPart { public string? Name { get; set; } public string? Email { get; set; } public string? Password { get; set; } }
    public sealed class SignupRequest { public CompanyPart? Company { get; set; } public OwnerPart? User { get; set; } }

    /// <summary>decisions.md, second round: a tenant never picks its own plan.</summary>
    public const string PublicSignupPlan = "free";

    public static void MapSignupEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/signup/register", Register).WithTags("Signup").AllowAnonymous()
            .RequireRateLimiting(RateLimits.SignupPolicy)
            .Accepts<SignupRequest>("application/json")
            .WithSummary("Create a tenant (company) and its owner on the free plan, whatever company.plan says (an operator changes plans)")
            .WithDescription("Limited per client address (an IPv6 client per /64) to RateLimits:SignupsPerHour (default 5), so nobody squats slugs in bulk.");
    }

    private static async Task<IResult> Register(HttpRequest request, IGrainFactory grains, IOptions<AuthOptions> options)
    {
        if (!options.Value.SignupEnabled) throw new ApiException(StatusCodes.Status403Forbidden, "Public signup is disabled");
        var body = await RequestBody.ReadAsync<SignupRequest>(request);
        var company = body.Company ?? new CompanyPart();
        var owner = body.User ?? new OwnerPart();
        new Validator()
            .Required("name", company.Name).MaxLength("name", company.Name, 200)
            .Required("slug", company.Slug).Matches("slug", company.Slug, SlugPattern())
            .Required("user.name", owner.Name).MaxLength("user.name", owner.Name, 200)
            .Required("user.email", owner.Email).Email("user.email", owner.Email)
            .Required("user.password", owner.Password).MinLength("user.password", owner.Password, 8)
            .ThrowIfInvalid();

        var slug = company.Slug!;
        var created = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(slug))
            .Create(new Company { Name = company.Name!.Trim(), Slug = slug, Plan = PublicSignupPlan }).Unwrap();
        var user = await grains.GetGrain<IUserGrain>(TenantKey.For(slug, Guid.NewGuid()))
            .Create(new User { Name = owner.Name!.Trim(), Email = owner.Email!.Trim(), Role = Role.Owner, Locale = created.Locale }, owner.Password!)
            .Unwrap();
        return Envelope.Created(new { company = created, user });
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}$")] private static partial Regex SlugPattern();
}
