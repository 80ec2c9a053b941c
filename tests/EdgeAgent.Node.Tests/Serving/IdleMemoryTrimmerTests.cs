using System.Buffers;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Serving;
using Google.Protobuf;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class IdleMemoryTrimmerTests
{
    // Regression (issue 17): with received messages in reused arrays a forwarding agent allocated a
    // few hundred KB/s, so the trimmer took it for idle and trimmed every few seconds under load.
    [Fact]
    public void WorkBytes_LargeMessagesParsedIntoReusedArrays_CountTheirBytes()
    {
        var request = new ModelInferRequest { ModelName = "det", Id = "hop" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 3, 640, 640 } });
        var data = new byte[4 * 3 * 640 * 640];
        new Random(17).NextBytes(data);
        request.RawInputContents.Add(ByteString.CopyFrom(data));
        var payload = new ReadOnlySequence<byte>(request.ToByteArray());
        const int Messages = 10;

        var before = IdleMemoryTrimmer.WorkBytes();
        for (var i = 0; i < Messages; i++)
        {
            var parsed = InferMessages.ParseRequest(payload);
            InferMessages.Return(parsed);
        }

        var work = IdleMemoryTrimmer.WorkBytes() - before;

        // Each parse either reused an array (counted as reused) or allocated one (counted as allocated).
        Assert.True(work >= Messages * payload.Length, $"{work:N0} bytes of work counted for {Messages} messages of {payload.Length:N0} bytes");
    }
}
