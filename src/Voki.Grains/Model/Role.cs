namespace Voki.Grains.Model;

/// <summary>Staff roles, lowest first; the numeric order is the permission order.</summary>
public enum Role { Attendant = 1, Supervisor = 2, Manager = 3, Owner = 4 }

public static class Roles
{
    public static string Name(this Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? value, out Role role)
    {
        role = default;
        return value is "attendant" or "supervisor" or "manager" or "owner"
            && Enum.TryParse(value, ignoreCase: true, out role);
    }
}
