namespace Voki.Media.Recording;

/// <summary>A rectangle of the output frame, in pixels.</summary>
public readonly record struct Rect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public override string ToString() => $"{Width}x{Height}+{X}+{Y}";
}

/// <summary>One participant's place in a layout.</summary>
public sealed record LayoutTile(string ParticipantId, Rect Area);

/// <summary>A stretch of the recording [StartMs, EndMs) during which the visible participants, hence the grid, do not change.</summary>
public sealed record LayoutSegment(long StartMs, long EndMs, IReadOnlyList<LayoutTile> Tiles)
{
    public TimeRange Range => new(StartMs, EndMs);
}

/// <summary>
/// The composite grid, as pure functions: 1 participant fills the frame, 2 sit side by side, 3–4 share a 2×2
/// grid, 5–9 a 3×3 grid (an incomplete last row is centred). Participants are placed in join order; beyond
/// <see cref="MaxTiles"/> the latest joiners are not shown. Pictures keep their aspect ratio inside a tile
/// (letterbox or pillarbox). All positions and sizes are even, as 4:2:0 video needs.
/// </summary>
public static class LayoutEngine
{
    public const int MaxTiles = 9;

    /// <summary>(columns, rows) of the grid for <paramref name="count"/> participants.</summary>
    public static (int Columns, int Rows) GridShape(int count) => count switch
    {
        <= 1 => (1, 1),
        2 => (2, 1),
        <= 4 => (2, 2),
        _ => (3, 3),
    };

    /// <summary>The tiles of <paramref name="count"/> participants in a <paramref name="width"/>×<paramref name="height"/> frame, row by row.</summary>
    public static IReadOnlyList<Rect> Grid(int count, int width, int height)
    {
        count = Math.Clamp(count, 0, MaxTiles);
        if (count == 0) return [];
        var (columns, rows) = GridShape(count);
        int Edge(int total, int index, int parts) => (int)((long)total * index / parts) & ~1;
        var tiles = new List<Rect>(count);
        int usedRows = (count + columns - 1) / columns;
        int top = (Edge(height, rows, rows) - Edge(height, usedRows, rows)) / 2 & ~1; // 3 or 4 in 2×2 use both rows; 5–6 in 3×3 centre two rows
        for (int i = 0; i < count; i++)
        {
            int row = i / columns, column = i % columns;
            int inRow = Math.Min(columns, count - row * columns);
            int shift = (Edge(width, columns, columns) - Edge(width, inRow, columns)) / 2 & ~1; // centres an incomplete row
            int x0 = Edge(width, column, columns) + shift, x1 = Edge(width, column + 1, columns) + shift;
            int y0 = Edge(height, row, rows) + top, y1 = Edge(height, row + 1, rows) + top;
            tiles.Add(new Rect(x0, y0, x1 - x0, y1 - y0));
        }
        return tiles;
    }

    /// <summary>
    /// The output frame for a recording that shows at most <paramref name="mostTiles"/> tiles at once, within a
    /// <paramref name="boxWidth"/>×<paramref name="boxHeight"/> box: with three or more, the box (the grid); with one
    /// or two, the tiles side by side at the aspect of the tallest camera, as large as fits the box, so that no
    /// encoded letterbox sits above and below the pictures (two 640×480 cameras in 1280×720 → 1280×480; one → 960×720).
    /// A wider camera is letterboxed in its tile, a narrower one would have been cut. Without a camera, the box.
    /// The width divides into even tiles; both sides are even and at least 64.
    /// </summary>
    public static (int Width, int Height) Frame(int mostTiles, IEnumerable<(int Width, int Height)> cameras, int boxWidth, int boxHeight)
    {
        if (mostTiles > 2) return (boxWidth, boxHeight);
        var sizes = cameras.Where(c => c.Width > 0 && c.Height > 0).ToList();
        if (sizes.Count == 0) return (boxWidth, boxHeight);
        var tallest = sizes.MinBy(c => (double)c.Width / c.Height);
        int columns = GridShape(Math.Max(1, mostTiles)).Columns;
        var frame = Fit(tallest.Width * columns, tallest.Height, new Rect(0, 0, boxWidth, boxHeight));
        int width = Math.Max(64, frame.Width - frame.Width % (2 * columns)), height = Math.Max(64, frame.Height);
        return (Math.Min(width, boxWidth), Math.Min(height, boxHeight));
    }

    /// <summary>The largest even-sized rectangle of the source's aspect ratio that fits the tile, centred in it.</summary>
    public static Rect Fit(int sourceWidth, int sourceHeight, Rect tile)
    {
        if (sourceWidth <= 0 || sourceHeight <= 0) return tile;
        int w, h;
        if ((long)sourceWidth * tile.Height >= (long)sourceHeight * tile.Width)
        {
            w = tile.Width;
            h = (int)Math.Round((double)tile.Width * sourceHeight / sourceWidth);
        }
        else
        {
            h = tile.Height;
            w = (int)Math.Round((double)tile.Height * sourceWidth / sourceHeight);
        }
        w = Math.Clamp(w & ~1, 2, tile.Width & ~1);
        h = Math.Clamp(h & ~1, 2, tile.Height & ~1);
        return new Rect(tile.X + ((tile.Width - w) / 2 & ~1), tile.Y + ((tile.Height - h) / 2 & ~1), w, h);
    }

    /// <summary>
    /// The layout over the recording: a segment for each stretch where the set of present participants is constant
    /// (a stretch where nobody is present has no tile). Adjacent stretches with the same tiles are merged.
    /// </summary>
    public static IReadOnlyList<LayoutSegment> Plan(IReadOnlyList<CapturedParticipant> participants, long durationMs, int width, int height)
    {
        var ordered = participants.OrderBy(p => p.JoinOrder).ToList();
        var cuts = ordered.SelectMany(p => p.Presence).SelectMany(r => new[] { r.StartMs, r.EndMs })
            .Append(0).Append(durationMs)
            .Where(t => t >= 0 && t <= durationMs)
            .Distinct().Order().ToList();
        var segments = new List<LayoutSegment>();
        for (int i = 0; i + 1 < cuts.Count; i++)
        {
            long start = cuts[i], end = cuts[i + 1];
            var visible = ordered.Where(p => p.Presence.Any(r => r.Contains(start))).Take(MaxTiles).ToList();
            var grid = Grid(visible.Count, width, height);
            var tiles = visible.Select((p, k) => new LayoutTile(p.Id, grid[k])).ToList();
            if (segments.Count > 0 && segments[^1].Tiles.SequenceEqual(tiles))
                segments[^1] = segments[^1] with { EndMs = end };
            else
                segments.Add(new LayoutSegment(start, end, tiles));
        }
        return segments;
    }
}
