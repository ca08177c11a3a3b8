using Voki.Grains.Model;

namespace Voki.Grains.Grains;

/// <summary>The call's SFU session. Kept apart from the lifecycle so the two evolve independently.</summary>
public sealed partial class CallGrain
{
    public Task<Outcome<string?>> Negotiate(Participant participant, string type, string sdp)
    {
        if (!state.State.Exists) return Task.FromResult<Outcome<string?>>(Failure.NotFound("Call not found"));
        return Task.FromResult<Outcome<string?>>(Failure.Invalid("The media plane is not available on this node"));
    }

    public Task LeaveMedia(string participantId) => Task.CompletedTask;
}
