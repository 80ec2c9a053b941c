using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

public sealed class DbPostprocessorTests
{
    [Fact]
    public void Boxes_TwoRegions_ReturnsUnclippedBoxesInReadingOrder()
    {
        var map = new float[64 * 32];
        Fill(map, 64, x: 44, y: 20, w: 16, h: 6, 0.9f);
        Fill(map, 64, x: 10, y: 6, w: 30, h: 8, 0.9f);

        var boxes = DbPostprocessor.Boxes(map, 64, 32, 64, 32);

        Assert.Equal(2, boxes.Count);
        // 30x8: unclip distance = 240 * 1.5 / 76 = 4.74 pixels on each side.
        var d = 30 * 8 * 1.5 / 76;
        Assert.Equal(Math.Round(10 - d), boxes[0].X);
        Assert.Equal(Math.Round(6 - d), boxes[0].Y);
        Assert.Equal(Math.Round(40 + d) - Math.Round(10 - d), boxes[0].Width);
        Assert.Equal(Math.Round(14 + d) - Math.Round(6 - d), boxes[0].Height);
        Assert.Equal(0.9, boxes[0].Score, 5);
        Assert.True(boxes[1].X > 36);
    }

    [Fact]
    public void Boxes_LowMeanProbability_IsDropped()
    {
        var map = new float[32 * 32];
        Fill(map, 32, 2, 2, 20, 8, 0.5f); // above the 0.3 threshold but under the 0.6 box threshold

        Assert.Empty(DbPostprocessor.Boxes(map, 32, 32, 32, 32));
    }

    [Fact]
    public void Boxes_RegionThinnerThanMinSize_IsDropped()
    {
        var map = new float[32 * 32];
        Fill(map, 32, 2, 2, 20, 2, 0.95f);

        Assert.Empty(DbPostprocessor.Boxes(map, 32, 32, 32, 32));
    }

    [Fact]
    public void Boxes_SourceLargerThanMap_ScalesToSourceAndClips()
    {
        var map = new float[32 * 32];
        Fill(map, 32, 0, 10, 16, 8, 0.9f);

        var box = Assert.Single(DbPostprocessor.Boxes(map, 32, 32, 64, 128));

        Assert.Equal(0, box.X); // clipped at the left edge
        var d = 16 * 8 * 1.5 / 48;
        Assert.Equal(Math.Round((10 - d) * 4), box.Y);
        Assert.Equal(Math.Round((16 + d) * 2), box.Width);
    }

    [Fact]
    public void Boxes_DiagonalNeighbours_AreOneComponent()
    {
        var map = new float[16 * 16];
        Fill(map, 16, 2, 2, 4, 4, 0.9f);
        Fill(map, 16, 6, 6, 4, 4, 0.9f);

        var box = Assert.Single(DbPostprocessor.Boxes(map, 16, 16, 16, 16, new DbPostprocessOptions { BoxThreshold = 0.1f }));

        Assert.True(box.Width > 8);
    }

    [Fact]
    public void Boxes_WrongTensorShape_ThrowsNamingTheShape()
    {
        var error = Assert.Throws<ArgumentException>(() => DbPostprocessor.Boxes(new OcrTensor(new float[4], [1, 2, 1, 2]), 2, 2));

        Assert.Contains("[1,2,1,2]", error.Message, StringComparison.Ordinal);
    }

    private static void Fill(float[] map, int width, int x, int y, int w, int h, float value)
    {
        for (var row = y; row < y + h; row++)
        {
            for (var col = x; col < x + w; col++)
            {
                map[(row * width) + col] = value;
            }
        }
    }
}
