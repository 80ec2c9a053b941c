using EdgeAgent.Inference.Repository;

namespace EdgeAgent.Inference.Tests.Repository;

public sealed class ModelConfigTests
{
    [Fact]
    public void Parse_TritonStyleDynamicBatching_ReadsSizeAndDelay()
    {
        var config = ModelConfig.Parse("""{ "name": "det", "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_microseconds": 2500 } }""", "det/config.json", "det");

        Assert.Equal(8, config.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMicroseconds(2500), config.DynamicBatching!.MaxQueueDelay);
    }

    [Fact]
    public void Parse_NoDynamicBatching_Off()
    {
        var config = ModelConfig.Parse("""{ "max_batch_size": 4 }""", "det/config.json", "det");

        Assert.Null(config.DynamicBatching);
    }

    [Theory]
    [InlineData("""{ "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_us": 10 } }""", "det/config.json: unknown field 'dynamic_batching.max_queue_delay_us' (known: max_queue_delay_microseconds).")]
    [InlineData("""{ "max_batchsize": 8 }""", "det/config.json: unknown field 'max_batchsize' (known: name, max_batch_size, dynamic_batching).")]
    [InlineData("""{ "max_batch_size": "8" }""", "det/config.json: 'max_batch_size' must be an integer, not \"8\".")]
    [InlineData("""{ "max_batch_size": 5000 }""", "det/config.json: 'max_batch_size' is 5000; it must be between 0 and 1024.")]
    [InlineData("""{ "dynamic_batching": {} }""", "det/config.json: 'dynamic_batching' needs 'max_batch_size' of at least 2 (the largest batch it may form); it is missing.")]
    [InlineData("""{ "max_batch_size": 1, "dynamic_batching": {} }""", "det/config.json: 'dynamic_batching' needs 'max_batch_size' of at least 2 (the largest batch it may form); it is 1.")]
    [InlineData("""{ "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_microseconds": -1 } }""", "det/config.json: 'dynamic_batching.max_queue_delay_microseconds' is -1; it must be between 0 and 1000000.")]
    [InlineData("""{ "name": "cls" }""", "det/config.json: 'name' is \"cls\" but the model's folder is 'det'; leave it out or make them equal.")]
    [InlineData("""[1]""", "det/config.json: must hold a JSON object, not Array.")]
    public void Parse_Invalid_OneMessageNamingFileAndField(string json, string expected)
    {
        var ex = Assert.Throws<ModelRepositoryException>(() => ModelConfig.Parse(json, "det/config.json", "det"));

        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void Parse_NotJson_NamesTheFile()
    {
        var ex = Assert.Throws<ModelRepositoryException>(() => ModelConfig.Parse("max_batch_size: 8", "det/config.json", "det"));

        Assert.StartsWith("det/config.json: is not JSON", ex.Message, StringComparison.Ordinal);
    }
}
