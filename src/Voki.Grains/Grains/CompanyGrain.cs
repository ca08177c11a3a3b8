using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Grains;

public sealed class CompanyGrain(
    [PersistentState("company", "Default")] IPersistentState<Company> state,
    CompanyRows rows, PlanCatalog plans) : Grain, ICompanyGrain
{
    public async Task<Outcome<Company>> Create(Company draft)
    {
        if (state.State.Exists) return Failure.Field("slug", "has already been taken");
        var now = Clock.Now();
        var company = draft with
        {
            Id = Guid.NewGuid(),
            MaxConcurrentCalls = plans[draft.Plan].MaxConcurrentCalls,
            InsertedAt = now,
            UpdatedAt = now,
        };
        if (!await rows.TryInsertAsync(company)) return Failure.Field("slug", "has already been taken");
        state.State = company;
        await state.WriteStateAsync();
        return company;
    }

    public Task<Company?> Get() => Task.FromResult(state.State.Exists ? state.State : null);

    public async Task<Outcome<Company>> Update(CompanyChanges c)
    {
        if (!state.State.Exists) return Failure.NotFound();
        var plan = plans[state.State.Plan];
        var errors = new Dictionary<string, string[]>();
        if (c.RecordingEnabled == true && !plan.Recording) errors["recording_enabled"] = [$"is not available on the {plan.Name} plan"];
        if (c.TranscriptionEnabled == true && !plan.Transcription) errors["transcription_enabled"] = [$"is not available on the {plan.Name} plan"];
        if (errors.Count > 0) return new Failure { Kind = FailureKind.Invalid, Fields = errors };

        var s = state.State;
        state.State = s with
        {
            Name = c.Name ?? s.Name,
            Email = c.ClearEmail ? null : c.Email ?? s.Email,
            Phone = c.ClearPhone ? null : c.Phone ?? s.Phone,
            LogoUrl = c.ClearLogoUrl ? null : c.LogoUrl ?? s.LogoUrl,
            PrimaryColor = c.PrimaryColor ?? s.PrimaryColor,
            // A document's type means nothing without it.
            Document = c.ClearDocument ? null : c.Document ?? s.Document,
            DocumentType = c.ClearDocument ? null : c.DocumentType ?? s.DocumentType,
            Locale = c.Locale ?? s.Locale,
            RecordingEnabled = c.RecordingEnabled ?? s.RecordingEnabled,
            TranscriptionEnabled = c.TranscriptionEnabled ?? s.TranscriptionEnabled,
            MfaRequired = c.MfaRequired ?? s.MfaRequired,
            UpdatedAt = Clock.Now(),
        };
        await rows.UpdateAsync(state.State);
        await state.WriteStateAsync();
        return state.State;
    }

    public async Task<Outcome<Company>> ChangePlan(string planName)
    {
        if (!state.State.Exists) return Failure.NotFound();
        if (!plans.Exists(planName)) return Failure.Field("plan", $"is invalid; allowed: {string.Join(", ", plans.Names)}");
        var plan = plans[planName];
        var s = state.State;
        state.State = s with
        {
            Plan = plan.Name,
            MaxConcurrentCalls = plan.MaxConcurrentCalls,
            RecordingEnabled = s.RecordingEnabled && plan.Recording,
            TranscriptionEnabled = s.TranscriptionEnabled && plan.Transcription,
            UpdatedAt = Clock.Now(),
        };
        await rows.UpdateAsync(state.State);
        await state.WriteStateAsync();
        return state.State;
    }
}
