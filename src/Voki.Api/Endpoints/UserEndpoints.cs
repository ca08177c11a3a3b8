using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Grains.Security;

namespace Voki.Api.Endpoints;

public static class UserEndpoints
{
    public sealed class UserRequest : PatchBody
    {
        public string? Name { get; set; }
        public string? Email { get; set; }
        public string? Password { get; set; }
        public string? Role { get; set; }
        public bool? Active { get; set; }
        public string? AvatarUrl { get; set; }
        public string? Locale { get; set; }
        public bool? MfaEnabled { get; set; }
    }

    public sealed class MfaCodeRequest { public string? Code { get; set; } }

    private static readonly Listing Sorting = new(
        new Dictionary<string, string> { ["name"] = "lower(name)", ["email"] = "lower(email)", ["role"] = "role", ["inserted_at"] = "inserted_at" },
        "name", DefaultDescending: false);

    private static readonly string[] RoleNames = Enum.GetValues<Role>().Select(r => r.Name()).ToArray();
    private static readonly string[] Locales = ["pt-BR", "en-US", "es", "fr"];

    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/users").WithTags("Users");
        users.MapGet("/me", Me).RequireAuthorization(Policies.Attendant).WithSummary("The caller's own user");
        users.MapGet("/me/departments", MyDepartments).RequireAuthorization(Policies.Attendant)
            .WithSummary("The active departments the caller is a member of (whose queue: and presence: topics they may join)");
        users.MapPost("/me/mfa/setup", SetUpMfa).RequireAuthorization(Policies.Attendant)
            .WithSummary("Start TOTP enrolment: {secret, otpauth_uri} for an authenticator app; MFA stays off until /me/mfa/enable confirms a code");
        users.MapPost("/me/mfa/enable", EnableMfa).RequireAuthorization(Policies.Attendant).Accepts<MfaCodeRequest>("application/json")
            .WithSummary("Turn MFA on with a code from the setup secret: {code} → {recovery_codes} (10 single-use codes, shown once)");
        users.MapPost("/me/mfa/disable", DisableMfa).RequireAuthorization(Policies.Attendant).Accepts<MfaCodeRequest>("application/json")
            .WithSummary("Turn MFA off with a current code or a recovery code; 422 while the company requires MFA");
        users.MapGet("", List).RequireAuthorization(Policies.Manager)
            .WithSummary("List users; filters search (name or e-mail), role, active; sort_by name|email|role|inserted_at");
        users.MapPost("", Create).RequireAuthorization(Policies.Manager).Accepts<UserRequest>("application/json")
            .WithSummary("Create a user (password at least 8 characters); nobody creates a role above their own; counts against the plan's users");
        users.MapGet("/{id:guid}", Get).RequireAuthorization(Policies.Manager);
        users.MapPut("/{id:guid}", Update).RequireAuthorization(Policies.Manager).Accepts<UserRequest>("application/json")
            .WithSummary("Update a user; there is no DELETE: set active=false. mfa_enabled=false turns off the MFA of a user who lost their device "
                + "(they enrol again). Deactivation, a role or password change and turning MFA off end every session of the user. avatar_url null clears it");
    }

    private static async Task<IResult> Me(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        return Envelope.Ok((await grains.GetGrain<IUserGrain>(caller.Key(caller.UserId)).Get()).OrNotFound());
    }

    private static async Task<IResult> SetUpMfa(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var grain = grains.GetGrain<IUserGrain>(caller.Key(caller.UserId));
        var user = (await grain.Get()).OrNotFound();
        var secret = (await grain.BeginMfaEnrolment()).Unwrap();
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(caller.Tenant)).Get();
        return Envelope.Ok(new { secret, otpauth_uri = SecondFactor.OtpAuthUri(secret, $"Voki ({company?.Name ?? caller.Tenant})", user.Email) });
    }

    private static async Task<IResult> EnableMfa(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<MfaCodeRequest>(http.Request);
        new Validator().Required("code", body.Code).MaxLength("code", body.Code, 32).ThrowIfInvalid();
        var codes = (await grains.GetGrain<IUserGrain>(caller.Key(caller.UserId)).ConfirmMfaEnrolment(body.Code!)).Unwrap();
        return Envelope.Ok(new { mfa_enabled = true, recovery_codes = codes });
    }

    private static async Task<IResult> DisableMfa(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<MfaCodeRequest>(http.Request);
        new Validator().Required("code", body.Code).MaxLength("code", body.Code, 32).ThrowIfInvalid();
        return Envelope.Ok((await grains.GetGrain<IUserGrain>(caller.Key(caller.UserId)).DisableMfa(body.Code!)).Unwrap());
    }

    private static async Task<IResult> MyDepartments(HttpContext http, IGrainFactory grains, DepartmentRows memberships)
    {
        var caller = http.Caller();
        var ids = await memberships.DepartmentsOfAsync(caller.Tenant, caller.UserId);
        var departments = await Task.WhenAll(ids.Select(id => grains.GetGrain<IDepartmentGrain>(caller.Key(id)).Get()));
        return Envelope.Ok(departments.Where(d => d is { Active: true }).OrderBy(d => d!.Name, StringComparer.OrdinalIgnoreCase).ToArray());
    }

    private static async Task<IResult> List(HttpContext http, UserRows users)
    {
        var caller = http.Caller();
        var query = http.Request.Query;
        var v = new Validator();
        var role = QueryValues.OneOf(query, "role", RoleNames, v);
        var active = QueryValues.Bool(query, "active", v);
        v.ThrowIfInvalid();
        Roles.TryParse(role, out var parsedRole);
        var filter = new UserFilter(query["search"].FirstOrDefault(), role is null ? null : parsedRole, active);
        return Envelope.List(await users.ListAsync(caller.Tenant, filter, Sorting.Parse(query)));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        return Envelope.Ok((await grains.GetGrain<IUserGrain>(caller.Key(id)).Get()).OrNotFound());
    }

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<UserRequest>(http.Request, "user");
        Validate(body, creating: true);
        var role = ParseRole(body.Role) ?? Role.Attendant;
        if (role > caller.Role) throw ApiException.Forbidden();
        var user = await grains.GetGrain<IUserGrain>(caller.Key(Guid.NewGuid())).Create(new User
        {
            Name = body.Name!.Trim(),
            Email = body.Email!.Trim(),
            Role = role,
            Active = body.Active ?? true,
            AvatarUrl = body.AvatarUrl,
            Locale = body.Locale ?? "pt-BR",
        }, body.Password!).Unwrap();
        return Envelope.Created(user);
    }

    private static async Task<IResult> Update(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<UserRequest>(http.Request, "user");
        Validate(body, creating: false);
        var user = await grains.GetGrain<IUserGrain>(caller.Key(id)).Update(new UserChanges
        {
            Name = body.Name?.Trim(),
            Email = body.Email?.Trim(),
            Password = body.Password,
            Role = ParseRole(body.Role),
            Active = body.Active,
            AvatarUrl = body.AvatarUrl,
            ClearAvatarUrl = body.Clears("avatar_url"),
            Locale = body.Locale,
            MfaEnabled = body.MfaEnabled,
        }, caller.Actor).Unwrap();
        return Envelope.Ok(user);
    }

    private static void Validate(UserRequest body, bool creating)
    {
        var v = new Validator();
        if (creating) v.Required("name", body.Name).Required("email", body.Email).Required("password", body.Password);
        v.NotBlankIfPresent("name", body.Name).MaxLength("name", body.Name, 200)
            .NotBlankIfPresent("email", body.Email).Email("email", body.Email).MaxLength("email", body.Email, 254)
            .MinLength("password", body.Password, 8).MaxLength("password", body.Password, 1024)
            .OneOf("role", body.Role, RoleNames).OneOf("locale", body.Locale, Locales);
        foreach (var required in new[] { "name", "email", "password", "role", "active", "locale", "mfa_enabled" })
            if (body.Clears(required)) v.Add(required, "can't be blank");
        v.ThrowIfInvalid();
    }

    private static Role? ParseRole(string? role) => Roles.TryParse(role, out var parsed) ? parsed : null;
}
