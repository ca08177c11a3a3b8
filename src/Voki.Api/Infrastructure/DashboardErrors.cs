namespace Voki.Api.Infrastructure;

/// <summary>
/// The Orleans dashboard builds a silo proxy straight from the silo address in its URLs (/dashboard/SiloStats/{address}
/// and the like) without checking it, so a malformed address (FormatException) or a blank one (ArgumentException)
/// surfaced as a 500. The address is those routes' only input: it is the client's mistake, a 400.
/// </summary>
public static class DashboardErrors
{
    public static IEndpointConventionBuilder WithMalformedAddressesAsBadRequest(this IEndpointConventionBuilder dashboard)
    {
        // Finally: the dashboard's request delegates exist only once its own conventions have run.
        dashboard.Finally(endpoint =>
        {
            if (endpoint.RequestDelegate is not { } inner) return;
            endpoint.RequestDelegate = async http =>
            {
                try
                {
                    await inner(http);
                }
                catch (Exception e) when (IsMalformedAddress(e) && !http.Response.HasStarted)
                {
                    throw new ApiException(StatusCodes.Status400BadRequest, "Invalid silo address");
                }
            };
        });
        return dashboard;
    }

    private static bool IsMalformedAddress(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is FormatException or ArgumentException) return true;
        return false;
    }
}
