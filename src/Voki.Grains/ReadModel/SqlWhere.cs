using Npgsql;

namespace Voki.Grains.ReadModel;

/// <summary>Builds a parameterised WHERE clause; every list starts from the tenant condition.</summary>
public sealed class SqlWhere
{
    private readonly List<string> _conditions = [];
    private readonly List<NpgsqlParameter> _parameters = [];

    public SqlWhere(string tenant, string tenantColumn = "tenant") => Add($"{tenantColumn} = {{0}}", tenant);

    /// <summary>Adds a condition whose {0}, {1}… placeholders become parameters bound to the values.</summary>
    public SqlWhere Add(string condition, params object[] values)
    {
        var names = new object[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var name = $"@p{_parameters.Count}";
            _parameters.Add(new NpgsqlParameter(name, values[i]));
            names[i] = name;
        }
        _conditions.Add(string.Format(condition, names));
        return this;
    }

    public SqlWhere AddIf(bool when, string condition, params object[] values) => when ? Add(condition, values) : this;

    public override string ToString() => "WHERE " + string.Join(" AND ", _conditions);

    public void BindTo(NpgsqlCommand command)
    {
        foreach (var p in _parameters) command.Parameters.Add(p.Clone());
    }
}
