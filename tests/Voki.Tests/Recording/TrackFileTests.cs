using Voki.Media.Recording;

namespace Voki.Tests.Recording;

public sealed class TrackFileTests
{
    [Fact]
    public void Ivf_frames_give_the_end_and_the_key_frame_size()
    {
        var ivf = IvfFile.Inspect(new MemoryStream(SyntheticFiles.Ivf(frames: 90, width: 320, height: 180)));
        Assert.Equal(90, ivf.FrameCount);
        Assert.Equal((320, 180), (ivf.Width, ivf.Height));
        Assert.Equal(3000, ivf.FrameDuration, 3);
        Assert.Equal(3.0, ivf.EndSeconds, 3); // 89 × 1/30 s + one frame
        Assert.False(ivf.Torn);
    }

    [Fact]
    public void Ivf_frames_that_stop_for_over_a_second_leave_a_gap()
    {
        using var file = new MemoryStream();
        file.Write(SyntheticFiles.IvfHeader(640, 480));
        file.Write(SyntheticFiles.IvfFrame(0, SyntheticFiles.Vp8KeyFrame(640, 480)));
        // 30 fps for 2 s, a pause of 1.5 s (a simulcast layer the sender stopped), then 30 fps again; a 0.9 s pause is no gap.
        foreach (var pts in Enumerable.Range(1, 59).Select(i => i * 3000L)
                     .Concat(Enumerable.Range(0, 30).Select(i => 177_000L + 135_000 + i * 3000L))
                     .Concat(Enumerable.Range(0, 10).Select(i => 177_000L + 135_000 + 29 * 3000 + 81_000 + i * 3000L)))
            file.Write(SyntheticFiles.IvfFrame(pts, SyntheticFiles.Vp8InterFrame()));
        file.Position = 0;
        var ivf = IvfFile.Inspect(file);
        var gap = Assert.Single(ivf.Gaps);
        Assert.Equal(1.9667, gap.StartSeconds, 3);
        Assert.Equal(3.4667, gap.EndSeconds, 3);
    }

    [Theory]
    [InlineData(5)]   // inside the next frame's 12-byte header
    [InlineData(30)]  // inside its payload
    public void A_torn_last_ivf_frame_is_left_out(int tornBytes)
    {
        var whole = SyntheticFiles.Ivf(frames: 31);
        var complete = SyntheticFiles.Ivf(frames: 30);
        var torn = whole.AsSpan(0, complete.Length + tornBytes).ToArray();
        var ivf = IvfFile.Inspect(new MemoryStream(torn));
        Assert.True(ivf.Torn);
        Assert.Equal(30, ivf.FrameCount);
        Assert.Equal(complete.Length, ivf.ReadableBytes);
        Assert.Equal(1.0, ivf.EndSeconds, 3);
    }

    [Fact]
    public void A_file_that_is_not_ivf_is_refused() =>
        Assert.Throws<InvalidDataException>(() => IvfFile.Inspect(new MemoryStream(SyntheticFiles.OggOpus(1))));

    [Fact]
    public void Ogg_opus_ends_at_the_last_granule_less_the_pre_skip()
    {
        var ogg = OggOpusFile.Inspect(new MemoryStream(SyntheticFiles.OggOpus(pages: 4, preSkip: 312)));
        Assert.Equal(6, ogg.PageCount);
        Assert.Equal(312, ogg.PreSkip);
        Assert.Equal(2, ogg.Channels);
        Assert.Equal(4.0, ogg.EndSeconds, 6);
        Assert.False(ogg.Torn);
    }

    [Fact]
    public void A_torn_last_ogg_page_is_left_out()
    {
        var whole = SyntheticFiles.OggOpus(pages: 3);
        var complete = SyntheticFiles.OggOpus(pages: 2);
        var ogg = OggOpusFile.Inspect(new MemoryStream(whole.AsSpan(0, complete.Length + 40).ToArray()));
        Assert.True(ogg.Torn);
        Assert.Equal(complete.Length, ogg.ReadableBytes);
        Assert.Equal(2.0, ogg.EndSeconds, 6);
    }

    [Fact]
    public void An_ogg_page_with_a_wrong_crc_ends_the_readable_part()
    {
        var bytes = SyntheticFiles.OggOpus(pages: 3);
        bytes[^3] ^= 0xff; // a byte of the last page's body
        var ogg = OggOpusFile.Inspect(new MemoryStream(bytes));
        Assert.True(ogg.Torn);
        Assert.Equal(2.0, ogg.EndSeconds, 6);
    }
}
