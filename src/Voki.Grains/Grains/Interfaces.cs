using Orleans.Concurrency;
using Voki.Grains.Model;

namespace Voki.Grains.Grains;

/// <summary>Key "{tenant}/company": the tenant's settings and plan.</summary>
public interface ICompanyGrain : IGrainWithStringKey
{
    Task<Outcome<Company>> Create(Company draft);
    Task<Company?> Get();
    Task<Outcome<Company>> Update(CompanyChanges changes);
    /// <summary>The operator's plan change; features the new plan lacks are switched off.</summary>
    Task<Outcome<Company>> ChangePlan(string plan);
}

/// <summary>Key "{tenant}/{userId}".</summary>
public interface IUserGrain : IGrainWithStringKey
{
    Task<Outcome<User>> Create(User draft, string password);
    Task<User?> Get();
    Task<Outcome<User>> Update(UserChanges changes, Actor actor);
    /// <summary>The user, when the password matches and the account is active; otherwise null.</summary>
    Task<User?> CheckPassword(string password);

    /// <summary>A new TOTP secret to enrol with; refused while MFA is on.</summary>
    Task<Outcome<string>> BeginMfaEnrolment();
    /// <summary>A code from the enrolment secret turns MFA on; returns the recovery codes, shown this once.</summary>
    Task<Outcome<string[]>> ConfirmMfaEnrolment(string code);
    /// <summary>A current TOTP code not used before, or an unused recovery code (then spent).</summary>
    Task<bool> VerifySecondFactor(string code);
    /// <summary>The user turns their own MFA off with a code; refused while the company requires MFA.</summary>
    Task<Outcome<User>> DisableMfa(string code);
}

/// <summary>Key "{tenant}/{departmentId}".</summary>
public interface IDepartmentGrain : IGrainWithStringKey
{
    Task<Outcome<Department>> Create(Department draft);
    Task<Department?> Get();
    Task<Outcome<Department>> Update(DepartmentChanges changes);
    Task<Outcome<bool>> Delete();
    Task<Outcome<Department>> SetMember(Guid userId, bool member);
}

/// <summary>Key "{tenant}/{sectorId}".</summary>
public interface ISectorGrain : IGrainWithStringKey
{
    Task<Outcome<Sector>> Create(Sector draft);
    Task<Sector?> Get();
    Task<Outcome<Sector>> Update(SectorChanges changes);
    /// <summary>Refused (422, naming them) while departments are in the sector.</summary>
    Task<Outcome<bool>> Delete();
}

/// <summary>Key "{tenant}/{tagId}".</summary>
public interface ITagGrain : IGrainWithStringKey
{
    Task<Outcome<Tag>> Create(Tag draft);
    Task<Tag?> Get();
    Task<Outcome<Tag>> Update(TagChanges changes);
    /// <summary>Detaches the tag from every call; refused (422, naming them) while it has child tags.</summary>
    Task<Outcome<bool>> Delete();
}

/// <summary>Key "{tenant}/{accessLinkId}".</summary>
public interface IAccessLinkGrain : IGrainWithStringKey
{
    Task<Outcome<AccessLink>> Create(NewAccessLink request);
    Task<AccessLink?> Get();
    Task<Outcome<AccessLink>> Cancel();
    /// <summary>A customer joins the department's queue through this link: creates the call.</summary>
    Task<Outcome<Call>> Join(CustomerDetails customer);
    /// <summary>A customer merge or delete re-pointed the link in the database; the grain follows.</summary>
    Task RelinkCustomer(Guid? customerId);
}

/// <summary>Key "{tenant}/{callId}": the call's lifecycle (and, with the media plane, its SFU session).</summary>
public interface ICallGrain : IGrainWithStringKey
{
    Task<Call> Open(Call draft);
    Task<Call?> Get();
    Task<Outcome<Call>> Assign(Actor actor, Guid? userId);
    Task<Outcome<Call>> Start(Actor actor);
    Task<Outcome<Call>> Complete(Actor actor, string? notes);
    Task<Outcome<Call>> Cancel(Actor actor);
    /// <summary>The customer left the queue, or the link that created the call was cancelled.</summary>
    Task<Outcome<Call>> EndWhileQueued(string finalStatus);
    Task<Outcome<Call>> Evaluate(int rating, string? comment);

    // Media signalling (decisions.md "Real time"); the session lives on the node where this grain is active.
    /// <summary>A browser's SDP: an offer gets the SFU's answer back; an answer (to an SFU offer) gets null.</summary>
    Task<Outcome<string?>> Negotiate(Participant participant, string type, string sdp);
    /// <summary>A supervisor asks to join the active call's media (reference §3.2 <c>join</c>); the call's parties are in by right once it is assigned.</summary>
    Task<Failure?> JoinMedia(Participant participant);
    /// <summary>The participant left the call's channel or closed the page: their media stops.</summary>
    Task LeaveMedia(string participantId);
    /// <summary>A participant muted or unmuted their audio or video: the recording's timeline notes it.</summary>
    [OneWay] Task Muted(string participantId, string kind, bool muted);
    /// <summary>The recording grain reports its progress (processing, ready, failed, expired) for the call object.</summary>
    [OneWay] Task RecordingChanged(string recordingStatus);
    /// <summary>The SFU session reports from its own threads through this, so events leave in the grain's order.</summary>
    [OneWay] Task MediaEvent(string participantId, string kind, string? sdp);
    /// <summary>Each participant's call quality: live from the SFU session while the call has media, then the summary kept when it ended; null for no call.</summary>
    Task<CallQualityReport?> Quality();
}

/// <summary>Key "{tenant}/{callId}": the call's WebM, from composition to its purge by retention.</summary>
public interface IRecordingGrain : IGrainWithStringKey
{
    Task Begin(RecordingRequest request);
    [AlwaysInterleave] Task<Recording?> Get();
    /// <summary>The transcription with its progress while it runs; null until the recording is ready, or when none applies.</summary>
    [AlwaysInterleave] Task<TranscriptView?> GetTranscript();
}
