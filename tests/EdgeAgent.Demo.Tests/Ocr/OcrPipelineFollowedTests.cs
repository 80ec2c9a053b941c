using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

/// <summary>
/// What the pipeline tells a runner through the agent: every request of a page but its last is
/// followed by another (the agent's own_followed_in_flight column counts them while in flight); with
/// lines in parallel, each line's first request says how many of the page's lines go out right after it
/// (own_batch_after).
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_ParallelLines_SendsEveryLinesFirstRequestAtOnceCountingThoseBehindIt(bool yields)
    {
        var runner = new RecordingRunner { Yields = yields };
        var pipeline = new OcrPipeline(runner, new CharacterDictionary(["a", "b"])) { ClassificationModel = "cls", ParallelLines = true };

        var lines = await pipeline.ReadAsync(OcrImage.White(64, 32), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        // The same lines as read one after another.
        var sequential = await new OcrPipeline(new RecordingRunner(), new CharacterDictionary(["a", "b"])) { ClassificationModel = "cls" }
            .ReadAsync(OcrImage.White(64, 32), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(sequential, lines);
        Assert.Equal(2, lines.Count);

        // Detection, then both classifications (the first with one line behind it); a line's recognition is
        // no longer followed by the next line. A runner that answers later sends both classifications first.
        var calls = runner.Calls.Select((c, k) => (c.Model, c.Followed, runner.BatchAfter[k])).ToList();
        Assert.Equal((PaddleOcrModels.Detection, true, 0), calls[0]);
        Assert.Equal(("cls", true, 1), calls[1]);
        Assert.Equal(yields ? ("cls", true, 0) : (PaddleOcrModels.Recognition, false, 0), calls[2]);
        Assert.Equal(
            [("cls", true, 0), ("cls", true, 1), (PaddleOcrModels.Recognition, false, 0), (PaddleOcrModels.Recognition, false, 0)],
            calls.Skip(1).Order());
    }

    [Fact]
    public async Task ReadAsync_ParallelLinesWithoutClassifier_RecognitionCarriesTheCount()
    {
        var runner = new RecordingRunner { Yields = true };
        var pipeline = new OcrPipeline(runner, new CharacterDictionary(["a", "b"])) { ParallelLines = true };

        await pipeline.ReadAsync(OcrImage.White(64, 32), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([(PaddleOcrModels.Detection, true), (PaddleOcrModels.Recognition, false), (PaddleOcrModels.Recognition, false)], runner.Calls);
        Assert.Equal([0, 1, 0], runner.BatchAfter);
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

        public List<int> BatchAfter { get; } = [];

        // With Yields, answer no request but detection before this many requests were sent, and then from
        // another thread, as a runner over the network answers later; without it, answer each at once.
        public bool Yields { get; init; }

        public int AnswerAfter { get; init; } = 3;

        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken) => RunAsync(model, input, followed: false, cancellationToken);

        public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, CancellationToken cancellationToken) => RunAsync(model, input, followed, 0, cancellationToken);

        public async ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, int batchAfter, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add((model, followed));
                BatchAfter.Add(batchAfter);
                if (Calls.Count >= AnswerAfter)
                {
                    _sent.TrySetResult();
                }
            }

            if (Yields && model != PaddleOcrModels.Detection)
            {
                await _sent.Task.ConfigureAwait(false);
            }

            return Answer(model, input);
        }

        private static OcrTensor Answer(string model, OcrTensor input)
        {
            if (model == PaddleOcrModels.Detection)
            {
                var (h, w) = (input.Shape[2], input.Shape[3]);
                var map = new float[h * w];
                Fill(map, w, x: 10, y: 6, width: 30, height: 8);
                Fill(map, w, x: 44, y: 20, width: 16, height: 6);
                return new OcrTensor(map, [1, 1, h, w]);
            }

            return model == "cls" ? new OcrTensor([0.9f, 0.1f], [1, 2]) : new OcrTensor([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f], [1, 2, 4]);
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
