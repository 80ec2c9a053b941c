using System.Globalization;
using System.Numerics.Tensors;

namespace EdgeAgent.Learning.Nn;

/// <summary>How the preference (w_delay, w_energy) enters every row of a <see cref="ServerSetNetwork"/>.</summary>
public enum PreferenceEncoding
{
    /// <summary>The two weights as given.</summary>
    Linear,

    /// <summary>
    /// The two weights and their logarithms ln(w + 0.01): the policy's behaviour changes fastest
    /// near either end (w_delay below 0.05, where servers differ only by upload energy, and the
    /// bend above 0.9), where the raw weights barely move the first layer's input.
    /// </summary>
    Log,
}

/// <summary>Hyper-parameters of a <see cref="ServerSetNetwork"/>.</summary>
/// <param name="Features">Features per server row (without the preference).</param>
/// <param name="Hidden">Width of every hidden layer.</param>
/// <param name="EncoderBlocks">Residual blocks in the per-server encoder.</param>
/// <param name="HeadBlocks">Residual blocks in the per-server head.</param>
/// <param name="Slope">LeakyReLU slope (0 gives ReLU).</param>
/// <param name="Preference">How the preference enters every row.</param>
/// <param name="Cost">Cost features derived from each row and appended after the preference, or null for none.</param>
/// <param name="AgentCost">The agent layout's cost features (from the rows' own delay and energy estimates), in the same
/// three columns; at most one of <paramref name="Cost"/> and this.</param>
/// <param name="GreedyBelow">
/// For an actor with cost features (either kind): below this w_delay the output blends toward the
/// cheapest server by their estimate, g * network - (1 - g) * gap with g = clamp(w_delay / GreedyBelow, 0, 1), so at
/// w_delay = 0 the decision is the cheapest server exactly and from GreedyBelow up it is the
/// network's alone (0: off). At w_delay = 0 energy is the whole cost and no placement changes
/// another task's energy, so the cheapest server is the optimal decision, not an approximation of
/// it; a learned policy only approaches it (see policies/README.md, "The energy-only end").
/// </param>
public sealed record ServerSetShape(int Features, int Hidden = 64, int EncoderBlocks = 1, int HeadBlocks = 1, float Slope = 0.01f,
    PreferenceEncoding Preference = PreferenceEncoding.Linear, CostFeatures? Cost = null, float GreedyBelow = 0f, AgentCostFeatures? AgentCost = null)
{
    /// <summary>Preference weights the network takes: (w_delay, w_energy).</summary>
    public const int PreferenceWidth = 2;

    /// <summary>Offset inside the logarithms of <see cref="PreferenceEncoding.Log"/>: ln(w + 0.01) stays finite at w = 0.</summary>
    public const float LogPreferenceOffset = 0.01f;

    /// <summary>Columns the preference occupies in a row's input after encoding.</summary>
    public int PreferenceColumns => Preference == PreferenceEncoding.Log ? 2 * PreferenceWidth : PreferenceWidth;

    /// <summary>Columns the cost features occupy after the encoded preference (0 without them).</summary>
    public int CostColumns => Cost is null && AgentCost is null ? 0 : CostFeatures.Count;

    /// <summary>Width of a row's input: features, encoded preference and cost features, in that order.</summary>
    public int InputWidth => Features + PreferenceColumns + CostColumns;

    /// <summary>Writes the encoded preference (<see cref="PreferenceColumns"/> values) into <paramref name="destination"/>.</summary>
    public void EncodePreference(float delayWeight, float energyWeight, Span<float> destination)
    {
        destination[0] = delayWeight;
        destination[1] = energyWeight;
        if (Preference == PreferenceEncoding.Log)
        {
            destination[2] = MathF.Log(delayWeight + LogPreferenceOffset);
            destination[3] = MathF.Log(energyWeight + LogPreferenceOffset);
        }
    }

    /// <summary>One line naming the architecture; stored in files and checked on load.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"serverset-v1 features={Features} hidden={Hidden} encoder_blocks={EncoderBlocks} head_blocks={HeadBlocks} slope={Slope:R}")
        + (Preference == PreferenceEncoding.Linear ? "" : " preference=log")
        + (Cost is null ? "" : " cost=" + Cost.Describe())
        + (AgentCost is null ? "" : " agent_cost=" + AgentCost.Describe())
        + (GreedyBelow == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" greedy_below={GreedyBelow:R}"));

    /// <summary>The blend weight g of the network's output at <paramref name="delayWeight"/> (1 when <see cref="GreedyBelow"/> is 0).</summary>
    public float Gate(float delayWeight) => GreedyBelow == 0 ? 1f : Math.Clamp(delayWeight * (1f / GreedyBelow), 0f, 1f);

    /// <summary>Throws when the shape cannot be built; the message names the value.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the cost features do not fit the rows, or GreedyBelow is out of range or set without cost features.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Hidden);
        ArgumentOutOfRangeException.ThrowIfNegative(EncoderBlocks);
        ArgumentOutOfRangeException.ThrowIfNegative(HeadBlocks);
        Cost?.Validate(Features);
        AgentCost?.Validate(Features);
        if (Cost is not null && AgentCost is not null)
        {
            throw new ArgumentException("A network has one kind of cost features: the closed-form (Cost) or the agent layout's estimates (AgentCost), not both.");
        }
        if (!(GreedyBelow is >= 0f and < 1f))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"GreedyBelow must be in [0, 1); got {GreedyBelow}."));
        }

        if (GreedyBelow > 0 && Cost is null && AgentCost is null)
        {
            throw new ArgumentException("GreedyBelow blends toward the cost features' cheapest server; the network has no cost features.");
        }
    }

    /// <summary>Parses <see cref="Describe"/>'s output (files written before the preference and cost keys read as linear, without cost features).</summary>
    /// <exception cref="FormatException">The text is not a description this build writes.</exception>
    public static ServerSetShape Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 6 or > 10 || parts[0] != "serverset-v1")
        {
            throw new FormatException($"'{text}' is not a serverset-v1 network description.");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in parts.Skip(1).Select(p => p.Split('=', 2)))
        {
            if (!values.TryAdd(kv[0], kv.Length == 2 ? kv[1] : ""))
            {
                throw new FormatException($"'{kv[0]}' appears twice in the network description '{text}'.");
            }
        }

        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"The network description lacks '{key}'.");
        int Whole(string key) => int.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v : throw new FormatException($"{key} '{Get(key)}' in the network description '{text}' is not a whole number.");
        var preference = values.TryGetValue("preference", out var encoding)
            ? encoding == "log" ? PreferenceEncoding.Log : throw new FormatException($"Unknown preference encoding '{encoding}' in '{text}'.")
            : PreferenceEncoding.Linear;
        var cost = values.TryGetValue("cost", out var costText) ? CostFeatures.Parse(costText) : null;
        var agentCost = values.TryGetValue("agent_cost", out var agentCostText) ? AgentCostFeatures.Parse(agentCostText) : null;
        var greedyBelow = values.TryGetValue("greedy_below", out var greedyText)
            ? float.TryParse(greedyText, NumberStyles.Float, CultureInfo.InvariantCulture, out var g) ? g : throw new FormatException($"greedy_below '{greedyText}' in '{text}' is not a number.")
            : 0f;
        return new ServerSetShape(
            Whole("features"),
            Whole("hidden"),
            Whole("encoder_blocks"),
            Whole("head_blocks"),
            float.TryParse(Get("slope"), NumberStyles.Float, CultureInfo.InvariantCulture, out var slope) && float.IsFinite(slope)
                ? slope : throw new FormatException($"slope '{Get("slope")}' in the network description '{text}' is not a number."),
            preference,
            cost,
            greedyBelow,
            agentCost);
    }
}

/// <summary>
/// A permutation-equivariant network over a set of up to S server rows: the same encoder runs on
/// every row (features plus preference, plus the <see cref="CostFeatures"/> derived from the sample's
/// present rows when the shape has them); the mean and max over present rows form a context that
/// is projected and added back to every row; the same head maps each row to one number (a logit
/// for the actor, a Q-value for a critic). Absent rows (mask 0) take no part in the context and
/// their outputs are meaningless; callers mask them. Works for any S, and reordering the servers
/// reorders the outputs the same way.
/// </summary>
public sealed class ServerSetNetwork
{
    /// <summary>Creates the network with random weights; the output layer starts at <paramref name="outputScale"/> of He scale.</summary>
    public ServerSetNetwork(ServerSetShape shape, Random random, double outputScale = 0.1)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        Shape = shape;
        var h = shape.Hidden;
        Input = new Linear("encoder.in", shape.InputWidth, h, random);
        EncoderBlocks = [.. Enumerable.Range(0, shape.EncoderBlocks).Select(i => new ResidualBlock($"encoder.block{i}", h, shape.Slope, random))];
        HeadRow = new Linear("head.row", h, h, random, initScale: Math.Sqrt(0.5));
        HeadContext = new Linear("head.context", 2 * h, h, random, bias: false, initScale: Math.Sqrt(0.5));
        HeadBlocks = [.. Enumerable.Range(0, shape.HeadBlocks).Select(i => new ResidualBlock($"head.block{i}", h, shape.Slope, random))];
        Output = new Linear("head.out", h, 1, random, initScale: outputScale);
        Parameters = [.. Input.Parameters, .. EncoderBlocks.SelectMany(b => b.Parameters), .. HeadRow.Parameters,
            .. HeadContext.Parameters, .. HeadBlocks.SelectMany(b => b.Parameters), .. Output.Parameters];
    }

    /// <summary>The hyper-parameters.</summary>
    public ServerSetShape Shape { get; }

    /// <summary>Row input layer: features and preference to hidden.</summary>
    public Linear Input { get; }

    /// <summary>Encoder residual blocks.</summary>
    public IReadOnlyList<ResidualBlock> EncoderBlocks { get; }

    /// <summary>Row part of the head's first layer.</summary>
    public Linear HeadRow { get; }

    /// <summary>Context part of the head's first layer: [mean, max] of the encoded rows to hidden.</summary>
    public Linear HeadContext { get; }

    /// <summary>Head residual blocks.</summary>
    public IReadOnlyList<ResidualBlock> HeadBlocks { get; }

    /// <summary>Hidden to one output per row.</summary>
    public Linear Output { get; }

    /// <summary>Every parameter in a fixed order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Number of trainable scalars.</summary>
    public int ParameterCount => ParameterSet.Count(Parameters);

    /// <summary>Metadata key under which files record <see cref="ServerSetShape.Describe"/>.</summary>
    public const string ArchitectureKey = "architecture";

    /// <summary>Writes the parameters and the architecture to a tensor file.</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [ArchitectureKey] = Shape.Describe() };
        TensorFile.Write(path, metadata, TensorFile.FromParameters(Parameters));
    }

    /// <summary>Reads a network written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a network file of this build; the message says why.</exception>
    public static ServerSetNetwork Load(string path)
    {
        var (metadata, tensors) = TensorFile.Read(path);
        if (!metadata.TryGetValue(ArchitectureKey, out var description))
        {
            throw new InvalidDataException($"{path}: the file records no '{ArchitectureKey}': it is not a saved network.");
        }

        ServerSetShape shape;
        try
        {
            shape = ServerSetShape.Parse(description);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        var network = new ServerSetNetwork(shape, new Random(0));
        try
        {
            TensorFile.CopyInto(tensors, network.Parameters);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        return network;
    }

    /// <summary>Buffers for one forward (and backward) pass of up to <paramref name="maxBatch"/> samples of <paramref name="rows"/> rows.</summary>
    public Workspace CreateWorkspace(int maxBatch, int rows) => new(Shape, maxBatch, rows);

    /// <summary>
    /// Computes one output per row. servers is [batch, rows, features], mask [batch, rows],
    /// preference [batch, 2], output [batch, rows]. Only present rows are computed (absent rows
    /// cannot influence anything and get output 0). The workspace keeps the activations for
    /// <see cref="Backward"/>.
    /// </summary>
    public void Forward(float[] servers, float[] mask, float[] preference, int batch, Workspace workspace, float[] output)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(preference);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(output);
        if (batch > workspace.MaxBatch || batch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The workspace holds at most {workspace.MaxBatch} samples.");
        }

        var s = workspace.Rows;
        var f = Shape.Features;
        var h = Shape.Hidden;
        if (servers.Length < batch * s * f || mask.Length < batch * s || preference.Length < batch * 2 || output.Length < batch * s)
        {
            throw new ArgumentException($"Inputs are too short for {batch} samples of {s} rows of {f} features.");
        }

        var ws = workspace;
        ws.Batch = batch;

        // Gather the present rows: every per-row layer runs on these only.
        var inWidth = Shape.InputWidth;
        var rows = 0;
        for (var b = 0; b < batch; b++)
        {
            ws.SegmentStart[b] = rows;
            for (var j = 0; j < s; j++)
            {
                var r = (b * s) + j;
                if (!(mask[r] > 0.5f))
                {
                    continue;
                }

                servers.AsSpan(r * f, f).CopyTo(ws.Input.AsSpan(rows * inWidth, f));
                Shape.EncodePreference(preference[b * 2], preference[(b * 2) + 1], ws.Input.AsSpan((rows * inWidth) + f, Shape.PreferenceColumns));
                ws.RowIndex[rows] = r;
                ws.RowSample[rows] = b;
                rows++;
            }

            Shape.Cost?.Write(ws.Input, inWidth, f + Shape.PreferenceColumns, ws.SegmentStart[b], rows, preference[b * 2], preference[(b * 2) + 1]);
            Shape.AgentCost?.Write(ws.Input, inWidth, f + Shape.PreferenceColumns, ws.SegmentStart[b], rows, preference[b * 2], preference[(b * 2) + 1]);
        }

        ws.SegmentStart[batch] = rows;
        ws.PresentRows = rows;
        Input.Forward(ws.Input, rows, ws.Encoded[0]);
        Activations.LeakyRelu(ws.Encoded[0].AsSpan(0, rows * h), ws.Encoded[0].AsSpan(0, rows * h), Shape.Slope);
        for (var i = 0; i < EncoderBlocks.Count; i++)
        {
            EncoderBlocks[i].Forward(ws.Encoded[i], rows, ws.EncoderHidden[i], ws.Encoded[i + 1]);
        }

        var encoded = ws.Encoded[^1];
        for (var b = 0; b < batch; b++)
        {
            var mean = ws.Context.AsSpan(b * 2 * h, h);
            var max = ws.Context.AsSpan((b * 2 * h) + h, h);
            var arg = ws.ArgMax.AsSpan(b * h, h);
            mean.Clear();
            max.Fill(MaskedPooling.EmptyMax);
            arg.Fill(-1);
            var from = ws.SegmentStart[b];
            var to = ws.SegmentStart[b + 1];
            for (var r = from; r < to; r++)
            {
                var row = encoded.AsSpan(r * h, h);
                TensorPrimitives.Add(mean, row, mean);
                for (var c = 0; c < h; c++)
                {
                    if (arg[c] < 0 || row[c] > max[c])
                    {
                        max[c] = row[c];
                        arg[c] = r;
                    }
                }
            }

            if (to > from)
            {
                TensorPrimitives.Multiply(mean, 1f / (to - from), mean);
            }
        }

        HeadContext.Forward(ws.Context, batch, ws.ContextProjection);
        var head0 = ws.Head[0];
        HeadRow.Forward(encoded, rows, head0);
        for (var r = 0; r < rows; r++)
        {
            var row = head0.AsSpan(r * h, h);
            TensorPrimitives.Add(row, ws.ContextProjection.AsSpan(ws.RowSample[r] * h, h), row);
        }

        Activations.LeakyRelu(head0.AsSpan(0, rows * h), head0.AsSpan(0, rows * h), Shape.Slope);
        for (var i = 0; i < HeadBlocks.Count; i++)
        {
            HeadBlocks[i].Forward(ws.Head[i], rows, ws.HeadHidden[i], ws.Head[i + 1]);
        }

        Output.Forward(ws.Head[^1], rows, ws.CompactOut);
        if (Shape.GreedyBelow > 0)
        {
            // g * network + (g - 1) * gap: the cheapest server's gap is the smallest (ln 1e-5).
            var gapColumn = f + Shape.PreferenceColumns;
            for (var b = 0; b < batch; b++)
            {
                ws.Gate[b] = Shape.Gate(preference[b * 2]);
            }

            for (var r = 0; r < rows; r++)
            {
                var g = ws.Gate[ws.RowSample[r]];
                ws.CompactOut[r] = (ws.CompactOut[r] * g) + (ws.Input[(r * inWidth) + gapColumn] * (g - 1f));
            }
        }

        Array.Clear(output, 0, batch * s);
        for (var r = 0; r < rows; r++)
        {
            output[ws.RowIndex[r]] = ws.CompactOut[r];
        }
    }

    /// <summary>
    /// Adds the parameter gradients for upstream gradient dOutput [batch, rows] at the last
    /// forward pass through <paramref name="workspace"/>. Gradients of absent rows are ignored.
    /// </summary>
    public void Backward(Workspace workspace, float[] dOutput)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(dOutput);
        var ws = workspace;
        var batch = ws.Batch;
        var h = Shape.Hidden;
        var rows = ws.PresentRows;
        for (var r = 0; r < rows; r++)
        {
            ws.DOut[r] = Shape.GreedyBelow > 0 ? dOutput[ws.RowIndex[r]] * ws.Gate[ws.RowSample[r]] : dOutput[ws.RowIndex[r]];
        }

        var dA = ws.GradientA;
        Output.Backward(ws.Head[^1], ws.DOut, rows, dA);
        for (var i = HeadBlocks.Count - 1; i >= 0; i--)
        {
            HeadBlocks[i].Backward(ws.Head[i], ws.HeadHidden[i], dA, rows, dA, ws.Scratch);
        }

        Activations.LeakyReluBackward(ws.Head[0].AsSpan(0, rows * h), dA.AsSpan(0, rows * h), dA.AsSpan(0, rows * h), Shape.Slope);
        Array.Clear(ws.DContextProjection, 0, batch * h);
        for (var r = 0; r < rows; r++)
        {
            var target = ws.DContextProjection.AsSpan(ws.RowSample[r] * h, h);
            TensorPrimitives.Add(target, dA.AsSpan(r * h, h), target);
        }

        var encoded = ws.Encoded[^1];
        var dH = ws.GradientB;
        HeadRow.Backward(encoded, dA, rows, dH);
        HeadContext.Backward(ws.Context, ws.DContextProjection, batch, ws.DContext);
        for (var b = 0; b < batch; b++)
        {
            var from = ws.SegmentStart[b];
            var to = ws.SegmentStart[b + 1];
            if (to == from)
            {
                continue;
            }

            var dMean = ws.DContext.AsSpan(b * 2 * h, h);
            var inv = 1f / (to - from);
            for (var r = from; r < to; r++)
            {
                var target = dH.AsSpan(r * h, h);
                TensorPrimitives.MultiplyAdd(dMean, inv, target, target);
            }

            for (var c = 0; c < h; c++)
            {
                var r = ws.ArgMax[(b * h) + c];
                if (r >= 0)
                {
                    dH[(r * h) + c] += ws.DContext[(b * 2 * h) + h + c];
                }
            }
        }

        for (var i = EncoderBlocks.Count - 1; i >= 0; i--)
        {
            EncoderBlocks[i].Backward(ws.Encoded[i], ws.EncoderHidden[i], dH, rows, dH, ws.Scratch);
        }

        Activations.LeakyReluBackward(ws.Encoded[0].AsSpan(0, rows * h), dH.AsSpan(0, rows * h), dH.AsSpan(0, rows * h), Shape.Slope);
        Input.Backward(ws.Input, dH, rows, null);
    }

    /// <summary>Activations and gradient buffers of one pass; create with <see cref="CreateWorkspace"/>.</summary>
    public sealed class Workspace
    {
        internal Workspace(ServerSetShape shape, int maxBatch, int rows)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
            MaxBatch = maxBatch;
            Rows = rows;
            var n = maxBatch * rows;
            var h = shape.Hidden;
            Input = new float[n * shape.InputWidth];
            RowIndex = new int[n];
            RowSample = new int[n];
            SegmentStart = new int[maxBatch + 1];
            CompactOut = new float[n];
            Gate = new float[maxBatch];
            Encoded = [.. Enumerable.Range(0, shape.EncoderBlocks + 1).Select(_ => new float[n * h])];
            EncoderHidden = [.. Enumerable.Range(0, shape.EncoderBlocks).Select(_ => new float[n * h])];
            Head = [.. Enumerable.Range(0, shape.HeadBlocks + 1).Select(_ => new float[n * h])];
            HeadHidden = [.. Enumerable.Range(0, shape.HeadBlocks).Select(_ => new float[n * h])];
            ArgMax = new int[maxBatch * h];
            Context = new float[maxBatch * 2 * h];
            ContextProjection = new float[maxBatch * h];
            DOut = new float[n];
            GradientA = new float[n * h];
            GradientB = new float[n * h];
            Scratch = new float[n * h];
            DContextProjection = new float[maxBatch * h];
            DContext = new float[maxBatch * 2 * h];
        }

        /// <summary>Largest batch this workspace holds.</summary>
        public int MaxBatch { get; }

        /// <summary>Rows (servers) per sample.</summary>
        public int Rows { get; }

        internal int Batch { get; set; }

        internal float[] Input { get; }

        internal int PresentRows { get; set; }

        internal int[] RowIndex { get; }

        internal int[] RowSample { get; }

        internal int[] SegmentStart { get; }

        internal float[] CompactOut { get; }

        /// <summary>Blend weight g of each sample's network output (<see cref="ServerSetShape.GreedyBelow"/>).</summary>
        internal float[] Gate { get; }

        internal float[][] Encoded { get; }

        internal float[][] EncoderHidden { get; }

        internal float[][] Head { get; }

        internal float[][] HeadHidden { get; }

        internal int[] ArgMax { get; }

        internal float[] Context { get; }

        internal float[] ContextProjection { get; }

        internal float[] DOut { get; }

        internal float[] GradientA { get; }

        internal float[] GradientB { get; }

        internal float[] Scratch { get; }

        internal float[] DContextProjection { get; }

        internal float[] DContext { get; }

    }
}
