using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Inference.Tests.Execution;

public sealed class OnnxRuntimeErrorsTests
{
    [Fact]
    public void ForCaller_BroadcastErrorWithSourceLocation_KeepsTheSentenceWithoutPathsOrSignatures()
    {
        const string message = "[ErrorCode:InvalidArgument] Non-zero status code returned while running Add node. Name:'add' Status Message: "
            + "/onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:560 void onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t) "
            + "axis == 1 || axis == largest was false. Attempting to broadcast an axis by a dimension other than 1. 2 by 3\n";

        var text = OnnxRuntimeErrors.ForCaller(message);

        Assert.Equal("Non-zero status code returned while running Add node. Name:'add' Status Message: axis == 1 || axis == largest was false. Attempting to broadcast an axis by a dimension other than 1. 2 by 3", text);
    }

    [Theory]
    [InlineData(@"[ErrorCode:Fail] D:\a\_work\1\s\onnxruntime\core\framework\execution_frame.cc:173 onnxruntime::common::Status onnxruntime::IExecutionFrame::GetOrCreateNodeOutputMLValue(int, int, const onnxruntime::TensorShape*, OrtValue*&, const onnxruntime::Node&) shape mismatch", "shape mismatch")]
    [InlineData("[ErrorCode:RuntimeException] /home/build/onnxruntime/core/session/inference_session.cc:123 failed to allocate", "failed to allocate")]
    [InlineData("Got invalid dimensions for input: a", "Got invalid dimensions for input: a")]
    [InlineData("[ErrorCode:Fail] ", "ONNX Runtime gave no reason")]
    public void ForCaller_Messages_NoSourcePathsLeft(string message, string expected)
    {
        var text = OnnxRuntimeErrors.ForCaller(message);

        Assert.Equal(expected, text);
        Assert.DoesNotContain("onnxruntime/", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", text, StringComparison.Ordinal);
    }
}
