using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

/// <summary>
/// What the pipeline tells a runner through the agent: every request of a page but its last is
/// followed by another (the agent's own_followed_in_flight column counts them while in flight).
/// </summary>
public sealed class OcrPipelineFollowedTests
{
    [Fact]
    public async Task ReadAsync_TwoLines_MarksEveryRequestButThePagesLastAsFollowed()
    {
        var runner = new RecordingRunner();
        var pipeline = new OcrPipeline(runner, new CharacterDictionary(["a", "b"])) { ClassificationModel = "cls" };

        var lines = await pipeline.ReadAsync(OcrImage.White(64, 32), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, lines.Count);
        Assert.Equal(
            [(PaddleOcrModels.Detection, true), ("cls", true), (PaddleOcrModels.Recognition, true), ("cls", true), (PaddleOcrModels.Recognition, false)],
            runner.Calls);
    }

    [Fact]
    public async Task DetectAsync_Alone_IsNotFollowed()
    {
        var runner = new RecordingRunner();
        var pipeline = new OcrPipeline(runner, new CharacterDictionary(["a", "b"]));

        await pipeline.DetectAsync(OcrImage.White(64, 32), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([(PaddleOcrModels.Detection, false)], runner.Calls);
    }

    // Detection: two text regions on the input's own grid; classification: upright; recognition: all blank.
    private sealed class RecordingRunner : IOcrModelRunner
    {
        public List<(string Model, bool Followed)> Calls { get; } = [];

        public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken) => RunAsync(model, input, followed: false, cancellationToken);

        public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, CancellationToken cancellationToken)
        {
            Calls.Add((model, followed));
            if (model == PaddleOcrModels.Detection)
            {
                var (h, w) = (input.Shape[2], input.Shape[3]);
                var map = new float[h * w];
                Fill(map, w, x: 10, y: 6, width: 30, height: 8);
                Fill(map, w, x: 44, y: 20, width: 16, height: 6);
                return ValueTask.FromResult(new OcrTensor(map, [1, 1, h, w]));
            }

            return ValueTask.FromResult(model == "cls" ? new OcrTensor([0.9f, 0.1f], [1, 2]) : new OcrTensor([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f], [1, 2, 4]));
        }

        private static void Fill(float[] map, int stride, int x, int y, int width, int height)
        {
            for (var r = y; r < y + height; r++)
            {
                for (var c = x; c < x + width; c++)
                {
                    map[(r * stride) + c] = 0.9f;
                }
            }
        }
    }
}
