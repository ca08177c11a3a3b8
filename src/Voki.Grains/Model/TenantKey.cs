namespace Voki.Grains.Model;

/// <summary>Grain keys of tenant data are "{tenant}/{id}": the tenant always comes first.</summary>
public static class TenantKey
{
    public const string CompanyId = "company";

    public static string For(string tenant, Guid id) => $"{tenant}/{id}";
    public static string ForCompany(string tenant) => $"{tenant}/{CompanyId}";

    public static (string Tenant, string Id) Split(string key)
    {
        var slash = key.IndexOf('/');
        return (key[..slash], key[(slash + 1)..]);
    }

    public static string TenantOf(string key) => Split(key).Tenant;
    public static Guid IdOf(string key) => Guid.Parse(Split(key).Id);
}
