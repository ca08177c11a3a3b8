using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Grains.Realtime;
using Voki.Grains.Security;

namespace Voki.Grains.Grains;

public sealed class UserGrain(
    [PersistentState("user", "Default")] IPersistentState<User> state,
    UserRows rows, PasswordHasher hasher, PlanCatalog plans, RefreshTokenStore refreshTokens,
    PasswordResetStore passwordResets) : Grain, IUserGrain
{
    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task<Outcome<User>> Create(User draft, string password)
    {
        if (state.State.Exists) return Failure.Conflict("User already exists");
        if (await UserLimitReached()) return Failure.Invalid(await UserLimitMessage());
        var now = Clock.Now();
        var user = draft with
        {
            Id = TenantKey.IdOf(this.GetPrimaryKeyString()),
            PasswordHash = hasher.Hash(password),
            InsertedAt = now,
            UpdatedAt = now,
        };
        if (!await rows.TryUpsertAsync(Tenant, user)) return Failure.Field("email", "has already been taken");
        state.State = user;
        await state.WriteStateAsync();
        return user;
    }

    public Task<User?> Get() => Task.FromResult(state.State.Exists ? state.State : null);

    public async Task<Outcome<User>> Update(UserChanges c, Actor actor)
    {
        var s = state.State;
        if (!s.Exists) return Failure.NotFound();
        // Nobody grants or edits a role above their own.
        if (s.Role > actor.Role || c.Role > actor.Role) return Failure.Forbidden();
        if (actor.UserId == s.Id && (c.Active == false || (c.Role is { } r && r < s.Role)))
            return Failure.Invalid("You cannot deactivate or demote yourself");
        if (c.Active == true && !s.Active && await UserLimitReached()) return Failure.Invalid(await UserLimitMessage());

        var updated = s with
        {
            Name = c.Name ?? s.Name,
            Email = c.Email ?? s.Email,
            Role = c.Role ?? s.Role,
            Active = c.Active ?? s.Active,
            AvatarUrl = c.ClearAvatarUrl ? null : c.AvatarUrl ?? s.AvatarUrl,
            Locale = c.Locale ?? s.Locale,
            PasswordHash = c.Password is { } password ? hasher.Hash(password) : s.PasswordHash,
            UpdatedAt = Clock.Now(),
        };
        if (c.MfaEnabled == true) return Failure.Field("mfa_enabled", "can only be turned off; users enrol themselves");
        if (c.MfaEnabled == false && s.MfaEnabled) updated = WithoutMfa(updated);
        var endsSessions = updated.Role != s.Role || (s.Active && !updated.Active) || c.Password is not null || (s.MfaEnabled && !updated.MfaEnabled);
        if (endsSessions) updated = updated with { SessionVersion = s.SessionVersion + 1 };
        if (!await rows.TryUpsertAsync(Tenant, updated)) return Failure.Field("email", "has already been taken");
        // Families first: should the state write fail, the user signs in again, which is harmless; the other order
        // could leave a refresh token alive for a user whose sessions have ended.
        if (endsSessions) await refreshTokens.RevokeUserAsync(Tenant, s.Id);
        // A reset mail sent before the change would otherwise undo it.
        if (c.Password is not null) await passwordResets.RevokeUserAsync(Tenant, s.Id);
        state.State = updated;
        await state.WriteStateAsync();
        if (endsSessions)
            await this.PublishAsync(RealtimeStreams.UserSessions, this.GetPrimaryKeyString(), RealtimePublisher.Event(RealtimeStreams.SessionsEnded, new { }));
        return updated;
    }

    public async Task<User?> CheckPassword(string password)
    {
        // PBKDF2 costs tens of milliseconds of CPU: run it on the thread pool, not on the silo's scheduler,
        // so a burst of logins cannot delay other grains (or the membership probes).
        var s = state.State;
        if (!s.Exists)
        {
            await Task.Run(() => hasher.VerifyNothing(password));
            return null;
        }
        var matches = await Task.Run(() => hasher.Verify(password, s.PasswordHash));
        return matches && state.State.Active ? state.State : null;
    }

    public async Task<Outcome<string>> BeginMfaEnrolment()
    {
        if (!state.State.Exists) return Failure.NotFound();
        if (state.State.MfaEnabled) return Failure.Invalid("MFA is already enabled");
        var secret = SecondFactor.NewSecret();
        await Save(state.State with { MfaPendingSecret = secret });
        return secret;
    }

    public async Task<Outcome<string[]>> ConfirmMfaEnrolment(string code)
    {
        var s = state.State;
        if (!s.Exists) return Failure.NotFound();
        if (s.MfaEnabled) return Failure.Invalid("MFA is already enabled");
        if (s.MfaPendingSecret is not { } secret) return Failure.Invalid("Start the MFA setup first");
        if (SecondFactor.MatchingStep(secret, code) is not { } step) return Failure.Field("code", "is invalid");
        var (codes, hashes) = SecondFactor.NewRecoveryCodes();
        var enrolled = s with
        {
            MfaEnabled = true, MfaSecret = secret, MfaPendingSecret = null, MfaLastTimeStep = step, RecoveryCodeHashes = hashes,
            UpdatedAt = Clock.Now(),
        };
        await rows.TryUpsertAsync(Tenant, enrolled);
        await Save(enrolled);
        return codes;
    }

    public async Task<bool> VerifySecondFactor(string code)
    {
        var s = state.State;
        if (!s.Exists || !s.Active || !s.MfaEnabled || s.MfaSecret is not { } secret) return false;
        if (SecondFactor.MatchingStep(secret, code) is { } step)
        {
            if (step <= s.MfaLastTimeStep) return false;
            await Save(s with { MfaLastTimeStep = step });
            return true;
        }
        if (!SecondFactor.LooksLikeRecoveryCode(code)) return false;
        var hash = SecondFactor.HashRecoveryCode(code);
        if (!s.RecoveryCodeHashes.Contains(hash)) return false;
        await Save(s with { RecoveryCodeHashes = s.RecoveryCodeHashes.Where(h => h != hash).ToArray() });
        return true;
    }

    public async Task<Outcome<User>> DisableMfa(string code)
    {
        if (!state.State.Exists) return Failure.NotFound();
        if (!state.State.MfaEnabled) return Failure.Invalid("MFA is not enabled");
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        if (company is { MfaRequired: true }) return Failure.Invalid("The company requires MFA for every user");
        if (!await VerifySecondFactor(code)) return Failure.Field("code", "is invalid");
        var updated = WithoutMfa(state.State) with { UpdatedAt = Clock.Now() };
        await rows.TryUpsertAsync(Tenant, updated);
        await Save(updated);
        return updated;
    }

    private static User WithoutMfa(User user) =>
        user with { MfaEnabled = false, MfaSecret = null, MfaPendingSecret = null, MfaLastTimeStep = 0, RecoveryCodeHashes = [] };

    private async Task Save(User user)
    {
        state.State = user;
        await state.WriteStateAsync();
    }

    private async Task<bool> UserLimitReached()
    {
        var limit = await Limit();
        return limit is { } max && await rows.CountActiveAsync(Tenant) >= max;
    }

    private async Task<string> UserLimitMessage() => $"User limit reached: the plan allows {await Limit()} active users";

    private async Task<int?> Limit()
    {
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        return plans[company?.Plan ?? "free"].MaxUsers;
    }
}
