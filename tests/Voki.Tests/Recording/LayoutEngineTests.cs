using Voki.Media.Recording;

namespace Voki.Tests.Recording;

public sealed class LayoutEngineTests
{
    [Fact]
    public void One_participant_fills_the_frame_and_two_sit_side_by_side()
    {
        Assert.Equal([new Rect(0, 0, 1280, 720)], LayoutEngine.Grid(1, 1280, 720));
        Assert.Equal([new Rect(0, 0, 640, 720), new Rect(640, 0, 640, 720)], LayoutEngine.Grid(2, 1280, 720));
    }

    [Fact]
    public void Three_and_four_share_a_2x2_grid_with_an_incomplete_row_centred()
    {
        Assert.Equal([new Rect(0, 0, 640, 360), new Rect(640, 0, 640, 360), new Rect(0, 360, 640, 360), new Rect(640, 360, 640, 360)],
            LayoutEngine.Grid(4, 1280, 720));
        Assert.Equal([new Rect(0, 0, 640, 360), new Rect(640, 0, 640, 360), new Rect(320, 360, 640, 360)],
            LayoutEngine.Grid(3, 1280, 720));
    }

    [Theory]
    [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)] [InlineData(9)] [InlineData(12)]
    public void Five_to_nine_use_a_3x3_grid_of_even_non_overlapping_tiles_inside_the_frame(int count)
    {
        var tiles = LayoutEngine.Grid(count, 1280, 720);
        Assert.Equal(Math.Min(count, 9), tiles.Count);
        Assert.Equal((3, 3), LayoutEngine.GridShape(Math.Min(count, 9)));
        foreach (var t in tiles)
        {
            Assert.True(t.X >= 0 && t.Y >= 0 && t.Right <= 1280 && t.Bottom <= 720, t.ToString());
            Assert.True(t.X % 2 == 0 && t.Y % 2 == 0 && t.Width % 2 == 0 && t.Height % 2 == 0, t.ToString());
            Assert.InRange(t.Width, 424, 428);
            Assert.Equal(240, t.Height);
        }
        for (int i = 0; i < tiles.Count; i++)
            for (int j = i + 1; j < tiles.Count; j++)
                Assert.False(tiles[i].X < tiles[j].Right && tiles[j].X < tiles[i].Right && tiles[i].Y < tiles[j].Bottom && tiles[j].Y < tiles[i].Bottom,
                    $"{tiles[i]} overlaps {tiles[j]}");
    }

    [Fact]
    public void Pictures_keep_their_aspect_ratio_letterboxed_or_pillarboxed()
    {
        var half = new Rect(640, 0, 640, 720);
        Assert.Equal(new Rect(640, 180, 640, 360), LayoutEngine.Fit(1280, 720, half));   // 16:9 in a tall tile: bars above and below
        Assert.Equal(new Rect(0, 0, 1280, 720), LayoutEngine.Fit(640, 360, new Rect(0, 0, 1280, 720)));
        Assert.Equal(new Rect(160, 0, 960, 720), LayoutEngine.Fit(640, 480, new Rect(0, 0, 1280, 720))); // 4:3: bars left and right
        var portrait = LayoutEngine.Fit(360, 640, new Rect(0, 0, 426, 240));
        Assert.Equal(240, portrait.Height);
        Assert.Equal(134, portrait.Width);                  // 135 rounded down to even
        Assert.Equal((426 - 134) / 2 & ~1, portrait.X);
    }

    private static CapturedParticipant P(string id, int order, params (long, long)[] presence) => new()
    {
        Id = id, Name = id, JoinOrder = order, Tracks = [],
        Presence = presence.Select(r => new TimeRange(r.Item1, r.Item2)).ToList(),
    };

    [Fact]
    public void The_layout_changes_when_people_join_and_leave_and_keeps_join_order()
    {
        var segments = LayoutEngine.Plan(
            [P("b", 1, (2000, 5000)), P("a", 0, (0, 6000)), P("c", 2, (3000, 4000))], 6000, 1280, 720);
        Assert.Equal([(0L, 2000L), (2000L, 3000L), (3000L, 4000L), (4000L, 5000L), (5000L, 6000L)], segments.Select(s => (s.StartMs, s.EndMs)));
        Assert.Equal([["a"], ["a", "b"], ["a", "b", "c"], ["a", "b"], ["a"]], segments.Select(s => s.Tiles.Select(t => t.ParticipantId).ToArray()));
        Assert.Equal(new Rect(0, 0, 640, 720), segments[1].Tiles[0].Area);
        Assert.Equal(new Rect(320, 360, 640, 360), segments[2].Tiles[2].Area);
    }

    [Fact]
    public void Stretches_with_the_same_tiles_merge_and_an_empty_room_has_no_tile()
    {
        // b leaves at 2000 and rejoins at 2000 (a reconnect): one segment. Then nobody from 4000 to 4500.
        var segments = LayoutEngine.Plan([P("a", 0, (0, 4000), (4500, 5000)), P("b", 1, (0, 2000), (2000, 4000))], 5000, 640, 360);
        Assert.Equal([(0L, 4000L), (4000L, 4500L), (4500L, 5000L)], segments.Select(s => (s.StartMs, s.EndMs)));
        Assert.Empty(segments[1].Tiles);
        Assert.Single(segments[2].Tiles);
    }

    [Fact]
    public void Beyond_nine_the_latest_joiners_wait_for_a_place()
    {
        var people = Enumerable.Range(0, 11).Select(i => P($"p{i}", i, (i == 3 ? 0 : 0, i == 3 ? 1000 : 3000))).ToList();
        var segments = LayoutEngine.Plan(people, 3000, 1280, 720);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"p{i}"), segments[0].Tiles.Select(t => t.ParticipantId));
        Assert.Equal(new[] { 0, 1, 2, 4, 5, 6, 7, 8, 9 }.Select(i => $"p{i}"), segments[1].Tiles.Select(t => t.ParticipantId));
    }

    [Fact]
    public void The_frame_of_one_or_two_tiles_is_sized_to_the_tallest_camera_and_of_more_is_the_box()
    {
        Assert.Equal((1280, 480), LayoutEngine.Frame(2, [(640, 480), (640, 360)], 1280, 720));
        Assert.Equal((960, 720), LayoutEngine.Frame(1, [(320, 240)], 1280, 720));
        Assert.Equal((1280, 720), LayoutEngine.Frame(1, [(1280, 720)], 1280, 720));
        Assert.Equal((480, 180), LayoutEngine.Frame(2, [(320, 240)], 480, 270));
        Assert.Equal((1280, 720), LayoutEngine.Frame(3, [(640, 480)], 1280, 720));
        Assert.Equal((1280, 720), LayoutEngine.Frame(2, [], 1280, 720));
        // Even, divisible into two even tiles, never below 64.
        var (w, h) = LayoutEngine.Frame(2, [(333, 251)], 1280, 720);
        Assert.Equal((0, 0), (w % 4, h % 2));
        Assert.Equal((1280, 64), LayoutEngine.Frame(2, [(5000, 10)], 1280, 720));
    }
}
