namespace Voki.Grains.ReadModel;

/// <summary>One page of a list, with the counts the API's <c>meta</c> block reports.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int CurrentPage, int PageSize, long TotalCount)
{
    public int TotalPages => TotalCount == 0 ? 0 : (int)((TotalCount + PageSize - 1) / PageSize);
}

/// <summary>Paging and ordering already validated by the API against the resource's whitelist.</summary>
public sealed record ListRequest(int Page, int PageSize, string SortColumn, bool Descending)
{
    /// <summary>Rows before this page; a long because page and page_size are any positive ints the client sends.</summary>
    public long Offset => ((long)Page - 1) * PageSize;
    public string OrderBy(string tieBreaker = "id") =>
        $"{SortColumn} {(Descending ? "DESC" : "ASC")} NULLS LAST, {tieBreaker} {(Descending ? "DESC" : "ASC")}";
}
