using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>One MatMul weight packed for com.microsoft MatMulNBits (4 bits).</summary>
/// <param name="Packed">[N, blocks, blockSize / 2] bytes, first value of a pair in the low nibble.</param>
/// <param name="Scales">[N * blocks].</param>
/// <param name="ZeroPoints">[N * ceil(blocks / 2)] packed nibbles, or null for symmetric blocks (implicit 8).</param>
/// <param name="K">Rows of the weight (the MatMul's inner dimension).</param>
/// <param name="N">Columns of the weight (outputs).</param>
/// <param name="BlockSize">Values per quantization block along K.</param>
public sealed record Int4Weight(byte[] Packed, float[] Scales, byte[]? ZeroPoints, int K, int N, int BlockSize)
{
    /// <summary>Number of blocks along K.</summary>
    public int Blocks => (K + BlockSize - 1) / BlockSize;

    /// <summary>The value MatMulNBits computes for B[k, n]: scale * (q - zero point).</summary>
    public float Dequantize(int k, int n)
    {
        int block = k / BlockSize;
        int within = k % BlockSize;
        byte pair = Packed[((n * Blocks) + block) * (BlockSize / 2) + (within / 2)];
        int q = within % 2 == 0 ? pair & 0x0F : pair >> 4;
        int zp = 8;
        if (ZeroPoints is not null)
        {
            int perRow = (Blocks + 1) / 2;
            byte z = ZeroPoints[(n * perRow) + (block / 2)];
            zp = block % 2 == 0 ? z & 0x0F : z >> 4;
        }

        return Scales[(n * Blocks) + block] * (q - zp);
    }
}

/// <summary>
/// 4-bit weight-only quantization: MatMul nodes with a constant 2-D float weight become
/// com.microsoft MatMulNBits with block-wise (along K) scales and zero points.
/// </summary>
public static class MatMulNBitsQuantizer
{
    /// <summary>Packs a [K, N] row-major weight.</summary>
    public static Int4Weight Pack(float[] weight, int k, int n, int blockSize, bool symmetric)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (blockSize < 16 || (blockSize & (blockSize - 1)) != 0)
        {
            throw new ArgumentException($"Block size {blockSize} must be a power of two of at least 16.", nameof(blockSize));
        }

        if (weight.Length != (long)k * n)
        {
            throw new ArgumentException($"Weight has {weight.Length} values, not {k} x {n}.", nameof(weight));
        }

        int blocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize / 2;
        var packed = new byte[n * blocks * blob];
        var scales = new float[n * blocks];
        int zpPerRow = (blocks + 1) / 2;
        byte[]? zeroPoints = symmetric ? null : new byte[n * zpPerRow];
        for (int col = 0; col < n; col++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int start = b * blockSize;
                int end = Math.Min(start + blockSize, k);
                float scale;
                int zp;
                if (symmetric)
                {
                    // Symmetric: the value of largest magnitude maps to -8 (as the Python tool does).
                    float extreme = 0;
                    for (int r = start; r < end; r++)
                    {
                        float v = weight[(r * n) + col];
                        if (Math.Abs(v) > Math.Abs(extreme))
                        {
                            extreme = v;
                        }
                    }

                    scale = extreme / -8f;
                    zp = 8;
                }
                else
                {
                    float min = 0;
                    float max = 0;
                    for (int r = start; r < end; r++)
                    {
                        float v = weight[(r * n) + col];
                        min = Math.Min(min, v);
                        max = Math.Max(max, v);
                    }

                    scale = (max - min) / 15f;
                    zp = scale == 0 ? 8 : (int)Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0, 15);
                }

                float reciprocal = scale == 0 ? 0 : 1f / scale;
                scales[(col * blocks) + b] = scale;
                if (zeroPoints is not null)
                {
                    int index = (col * zpPerRow) + (b / 2);
                    zeroPoints[index] |= (byte)(b % 2 == 0 ? zp : zp << 4);
                }

                for (int r = start; r < start + blockSize; r++)
                {
                    // Padding beyond K stores the zero point (dequantizes to 0).
                    int q = r < end
                        ? (int)Math.Clamp(MathF.Round(weight[(r * n) + col] * reciprocal, MidpointRounding.ToEven) + zp, 0, 15)
                        : zp;
                    int within = r - start;
                    int index = (((col * blocks) + b) * blob) + (within / 2);
                    packed[index] |= (byte)(within % 2 == 0 ? q : q << 4);
                }
            }
        }

        return new Int4Weight(packed, scales, zeroPoints, k, n, blockSize);
    }

    /// <summary>Replaces MatMul nodes whose B is a constant 2-D float weight with K, N at least 16.</summary>
    public static (ModelProto Model, int Replaced) Quantize(ModelProto model, int blockSize = 128, bool symmetric = false, int accuracyLevel = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = model.Clone();
        ModelPreparation.ConstantsToInitializers(result.Graph);
        var graph = result.Graph;
        var initializers = graph.InitializersByName();
        int replaced = 0;
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (!node.Is("MatMul") || !initializers.TryGetValue(node.Input[1], out var weight)
                || weight.DataType != (int)DataType.Float || weight.Dims.Count != 2 || weight.Dims[0] < 16 || weight.Dims[1] < 1)
            {
                continue;
            }

            int k = (int)weight.Dims[0];
            int n = (int)weight.Dims[1];
            var packed = Pack(OnnxTensors.ToFloats(weight), k, n, blockSize, symmetric);
            string prefix = node.Input[1];
            var replacement = new NodeProto
            {
                OpType = "MatMulNBits",
                Domain = OnnxVersions.MicrosoftDomain,
                Name = (node.Name.Length > 0 ? node.Name : prefix) + "_Q4",
            };
            replacement.Input.Add([node.Input[0], prefix + "_Q4", prefix + "_scales"]);
            graph.Initializer.Add(OnnxTensors.FromBytes(prefix + "_Q4", packed.Packed, n, packed.Blocks, blockSize / 2));
            graph.Initializer.Add(OnnxTensors.FromFloats(prefix + "_scales", packed.Scales, packed.Scales.Length));
            if (packed.ZeroPoints is not null)
            {
                replacement.Input.Add(prefix + "_zero_points");
                graph.Initializer.Add(OnnxTensors.FromBytes(prefix + "_zero_points", packed.ZeroPoints, packed.ZeroPoints.Length));
            }

            replacement.Output.Add(node.Output);
            replacement.Attribute.Add(OnnxValues.Int("K", k));
            replacement.Attribute.Add(OnnxValues.Int("N", n));
            replacement.Attribute.Add(OnnxValues.Int("bits", 4));
            replacement.Attribute.Add(OnnxValues.Int("block_size", blockSize));
            replacement.Attribute.Add(OnnxValues.Int("accuracy_level", accuracyLevel));
            graph.Node[i] = replacement;
            replaced++;
        }

        if (replaced > 0)
        {
            result.EnsureOpset(OnnxVersions.MicrosoftDomain, 1);
            graph.RemoveUnusedInitializers();
        }

        return (result, replaced);
    }
}
