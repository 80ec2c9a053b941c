using EdgeAgent.Onnx;
using Google.Protobuf;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.TestModels;

/// <summary>Models whose output is larger than their inputs (issue 13: output amplification).</summary>
public static class AmplifyingModels
{
    /// <summary>
    /// y = a + b with a FP32 [N, 1] and b FP32 [1, M]: y is [N, M], so 2 x 16 K floats of input
    /// ask for a 1 GB output. With <paramref name="namedOutput"/> the output declares [N, M]
    /// (its size is known before the run), otherwise its shape is left to the run.
    /// </summary>
    public static byte[] Broadcast(bool namedOutput)
    {
        var builder = new GraphBuilder("bcast").Opset(13).IrVersion(8).Producer("edgeagent-tests", "")
            .Input("a", DataType.Float, new Dim("N"), new Dim(1))
            .Input("b", DataType.Float, new Dim(1), new Dim("M"))
            .Node("Add", ["a", "b"], ["y"], name: "add");
        builder = namedOutput ? builder.Output("y", DataType.Float, new Dim("N"), new Dim("M")) : builder.OutputOfUnknownShape("y", DataType.Float);
        return builder.Build().ToByteArray();
    }
}
