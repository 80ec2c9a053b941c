using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Sac;

/// <summary>One minibatch for <see cref="DiscreteSac.Update"/>; arrays sized for the batch capacity.</summary>
public sealed class SacBatch
{
    /// <summary>Allocates buffers for up to <paramref name="capacity"/> transitions.</summary>
    public SacBatch(int capacity, int servers, int features)
    {
        Capacity = capacity;
        Servers = servers;
        Features = features;
        States = new float[capacity * servers * features];
        Masks = new float[capacity * servers];
        NextStates = new float[capacity * servers * features];
        NextMasks = new float[capacity * servers];
        Preferences = new float[capacity * 2];
        Actions = new int[capacity];
        TeacherActions = new int[capacity];
        Rewards = new float[capacity];
        Discounts = new float[capacity];
    }

    /// <summary>Most transitions the batch holds.</summary>
    public int Capacity { get; }

    /// <summary>S.</summary>
    public int Servers { get; }

    /// <summary>F.</summary>
    public int Features { get; }

    /// <summary>Transitions filled.</summary>
    public int Count { get; set; }

    /// <summary>States [B, S, F].</summary>
    public float[] States { get; }

    /// <summary>Masks [B, S].</summary>
    public float[] Masks { get; }

    /// <summary>States after n steps [B, S, F] (ignored where the discount is 0).</summary>
    public float[] NextStates { get; }

    /// <summary>Masks after n steps [B, S].</summary>
    public float[] NextMasks { get; }

    /// <summary>Preferences (w_delay, w_energy) [B, 2], the same for state and next state.</summary>
    public float[] Preferences { get; }

    /// <summary>Actions taken [B].</summary>
    public int[] Actions { get; }

    /// <summary>Greedy teacher's actions [B], -1 when unknown.</summary>
    public int[] TeacherActions { get; }

    /// <summary>Scalarised (n-step, discounted) rewards [B].</summary>
    public float[] Rewards { get; }

    /// <summary>gamma^n, or 0 when the episode ended within the n steps [B].</summary>
    public float[] Discounts { get; }
}

/// <summary>What one update measured.</summary>
/// <param name="CriticLoss">Mean squared TD error of both critics (halved).</param>
/// <param name="ActorLoss">Actor loss (behaviour cloning cross-entropy while cloning).</param>
/// <param name="Entropy">Mean policy entropy, nats.</param>
/// <param name="Temperature">Entropy temperature after the update.</param>
/// <param name="MeanQ">Mean Q of the taken actions.</param>
public readonly record struct SacUpdateStats(double CriticLoss, double ActorLoss, double Entropy, double Temperature, double MeanQ);

/// <summary>
/// Discrete Soft Actor-Critic (Christodoulou 2019) over sets of servers: an actor giving one
/// logit per server, twin critics giving one Q per server, target critics updated by Polyak
/// averaging, and an entropy temperature that is fixed or tuned toward a target entropy. All three
/// networks are <see cref="ServerSetNetwork"/>s conditioned on the preference.
/// </summary>
public sealed class DiscreteSac
{
    private readonly SacOptions _options;
    private readonly int _servers;
    private readonly ServerSetNetwork.Workspace _actorNext, _actorNow, _critic1Now, _critic2Now, _target1Next, _target2Next, _actWorkspace;
    private readonly float[] _logits, _p, _logp, _nextLogits, _nextP, _nextLogp, _q1, _q2, _t1, _t2, _dq, _dp, _dlogp, _dlogits, _y;
    private readonly Adam _actorOptimiser, _critic1Optimiser, _critic2Optimiser;

    /// <summary>Creates actor, critics and targets with weights drawn from <paramref name="random"/>.</summary>
    /// <param name="options">Hyper-parameters.</param>
    /// <param name="servers">S, rows per observation.</param>
    /// <param name="features">F, features per row.</param>
    /// <param name="random">Source of the initial weights.</param>
    /// <param name="cost">Cost features of the networks' inputs, or null for none.</param>
    /// <param name="agentCost">The agent layout's cost features (instead of <paramref name="cost"/>), or null for none.</param>
    public DiscreteSac(SacOptions options, int servers, int features, Random random, CostFeatures? cost = null, AgentCostFeatures? agentCost = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _servers = servers;
        var shape = new ServerSetShape(features, options.Hidden, options.EncoderBlocks, options.HeadBlocks, Preference: options.PreferenceEncoding, Cost: cost, AgentCost: agentCost);
        Actor = new ServerSetNetwork(shape with { GreedyBelow = options.GreedyBelow }, random, outputScale: 0.01);
        Critic1 = new ServerSetNetwork(shape, random);
        Critic2 = new ServerSetNetwork(shape, random);
        Target1 = new ServerSetNetwork(shape, random);
        Target2 = new ServerSetNetwork(shape, random);
        ParameterSet.CopyValues(Critic1.Parameters, Target1.Parameters);
        ParameterSet.CopyValues(Critic2.Parameters, Target2.Parameters);
        _actorOptimiser = new Adam(Actor.Parameters, options.ActorLearningRate);
        _critic1Optimiser = new Adam(Critic1.Parameters, options.CriticLearningRate);
        _critic2Optimiser = new Adam(Critic2.Parameters, options.CriticLearningRate);
        LogTemperature = Math.Log(options.Temperature);
        var b = options.BatchSize;
        _actorNext = Actor.CreateWorkspace(b, servers);
        _actorNow = Actor.CreateWorkspace(b, servers);
        _critic1Now = Critic1.CreateWorkspace(b, servers);
        _critic2Now = Critic2.CreateWorkspace(b, servers);
        _target1Next = Target1.CreateWorkspace(b, servers);
        _target2Next = Target2.CreateWorkspace(b, servers);
        _actWorkspace = Actor.CreateWorkspace(Math.Max(options.Environments, 1), servers);
        var n = b * servers;
        _logits = new float[n]; _p = new float[n]; _logp = new float[n];
        _nextLogits = new float[n]; _nextP = new float[n]; _nextLogp = new float[n];
        _q1 = new float[n]; _q2 = new float[n]; _t1 = new float[n]; _t2 = new float[n];
        _dq = new float[n]; _dp = new float[n]; _dlogp = new float[n]; _dlogits = new float[n];
        _y = new float[b];
    }

    /// <summary>The policy network (exported to ONNX).</summary>
    public ServerSetNetwork Actor { get; }

    /// <summary>First critic.</summary>
    public ServerSetNetwork Critic1 { get; }

    /// <summary>Second critic.</summary>
    public ServerSetNetwork Critic2 { get; }

    /// <summary>Target of the first critic.</summary>
    public ServerSetNetwork Target1 { get; }

    /// <summary>Target of the second critic.</summary>
    public ServerSetNetwork Target2 { get; }

    /// <summary>Optimisers in the order actor, critic 1, critic 2 (for checkpoints).</summary>
    public IReadOnlyList<Adam> Optimisers => [_actorOptimiser, _critic1Optimiser, _critic2Optimiser];

    /// <summary>log of the entropy temperature.</summary>
    public double LogTemperature { get; set; }

    /// <summary>The entropy temperature.</summary>
    public double Temperature => Math.Exp(LogTemperature);

    /// <summary>Gradient steps taken.</summary>
    public long Updates { get; set; }

    /// <summary>
    /// One gradient step of both critics, the actor (or, with <paramref name="cloning"/>, behaviour
    /// cloning of the teacher's actions), the temperature, and the targets.
    /// </summary>
    public SacUpdateStats Update(SacBatch batch, bool cloning)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var b = batch.Count;
        var s = _servers;
        var n = b * s;
        var alpha = (float)Temperature;
        var teacherWeight = (float)_options.TeacherWeight;

        // Soft value of the next state under the current policy and the target critics.
        Actor.Forward(batch.NextStates, batch.NextMasks, batch.Preferences, b, _actorNext, _nextLogits);
        MaskedSoftmax.Forward(_nextLogits, batch.NextMasks, b, s, _nextP, _nextLogp);
        Target1.Forward(batch.NextStates, batch.NextMasks, batch.Preferences, b, _target1Next, _t1);
        Target2.Forward(batch.NextStates, batch.NextMasks, batch.Preferences, b, _target2Next, _t2);
        for (var i = 0; i < b; i++)
        {
            double v = 0;
            for (var a = 0; a < s; a++)
            {
                var k = (i * s) + a;
                if (batch.NextMasks[k] > 0.5f)
                {
                    v += _nextP[k] * (Math.Min(_t1[k], _t2[k]) - (alpha * _nextLogp[k]));
                }
            }

            _y[i] = batch.Rewards[i] + (batch.Discounts[i] * (float)v);
        }

        // Critics: squared TD error at the taken action.
        Critic1.Forward(batch.States, batch.Masks, batch.Preferences, b, _critic1Now, _q1);
        Critic2.Forward(batch.States, batch.Masks, batch.Preferences, b, _critic2Now, _q2);
        var criticLoss = TrainCritic(Critic1, _critic1Now, _critic1Optimiser, _q1, batch) + TrainCritic(Critic2, _critic2Now, _critic2Optimiser, _q2, batch);
        double meanQ = 0;
        for (var i = 0; i < b; i++)
        {
            meanQ += _q1[(i * s) + batch.Actions[i]];
        }

        meanQ /= b;

        // Actor.
        Actor.Forward(batch.States, batch.Masks, batch.Preferences, b, _actorNow, _logits);
        MaskedSoftmax.Forward(_logits, batch.Masks, b, s, _p, _logp);
        Array.Clear(_dp, 0, n);
        Array.Clear(_dlogp, 0, n);
        double actorLoss = 0, entropy = 0, entropyGap = 0;
        var labelled = 0;
        for (var i = 0; i < b; i++)
        {
            double h = 0;
            var present = 0;
            for (var a = 0; a < s; a++)
            {
                var k = (i * s) + a;
                if (batch.Masks[k] > 0.5f)
                {
                    present++;
                    h -= _p[k] * _logp[k];
                }
            }

            entropy += h;
            entropyGap += h - (_options.TargetEntropyRatio * Math.Log(Math.Max(present, 1)));
            if (cloning)
            {
                var t = batch.TeacherActions[i];
                if (t >= 0)
                {
                    labelled++;
                    actorLoss -= _logp[(i * s) + t];
                    _dlogp[(i * s) + t] = -1f;
                }

                continue;
            }

            for (var a = 0; a < s; a++)
            {
                var k = (i * s) + a;
                if (batch.Masks[k] > 0.5f)
                {
                    var minQ = Math.Min(_q1[k], _q2[k]);
                    actorLoss += _p[k] * ((alpha * _logp[k]) - minQ);
                    _dp[k] = ((alpha * _logp[k]) - minQ) / b;
                    _dlogp[k] = alpha * _p[k] / b;
                }
            }

            // Teacher regulariser: lambda * cross-entropy of the teacher's label (where one holds).
            var label = batch.TeacherActions[i];
            if (teacherWeight > 0 && label >= 0)
            {
                actorLoss -= teacherWeight * _logp[(i * s) + label];
                _dlogp[(i * s) + label] -= teacherWeight / b;
            }
        }

        if (cloning)
        {
            var scale = 1f / Math.Max(labelled, 1);
            for (var k = 0; k < n; k++)
            {
                _dlogp[k] *= scale;
            }

            actorLoss *= scale;
            MaskedSoftmax.Backward(_p, batch.Masks, [], _dlogp.AsSpan(0, n), b, s, _dlogits);
        }
        else
        {
            actorLoss /= b;
            MaskedSoftmax.Backward(_p, batch.Masks, _dp.AsSpan(0, n), _dlogp.AsSpan(0, n), b, s, _dlogits);
        }

        ParameterSet.ZeroGradients(Actor.Parameters);
        Actor.Backward(_actorNow, _dlogits);
        ParameterSet.ClipGradientNorm(Actor.Parameters, _options.GradientClip);
        _actorOptimiser.Step();

        entropy /= b;
        if (_options.TuneTemperature && !cloning)
        {
            LogTemperature -= _options.TemperatureLearningRate * (entropyGap / b);
            LogTemperature = Math.Clamp(LogTemperature, Math.Log(1e-6), Math.Log(10));
        }

        var tau = (float)_options.Tau;
        ParameterSet.SoftUpdate(Critic1.Parameters, Target1.Parameters, tau);
        ParameterSet.SoftUpdate(Critic2.Parameters, Target2.Parameters, tau);
        Updates++;
        return new SacUpdateStats(criticLoss / 2, actorLoss, entropy, Temperature, meanQ);
    }

    /// <summary>
    /// Chooses actions for <paramref name="count"/> observations: sampled from the policy, or the
    /// most probable present server when <paramref name="deterministic"/>. Returns the mean entropy.
    /// </summary>
    public double Act(float[] servers, float[] masks, float[] preferences, int count, Span<int> actions, Random random, bool deterministic)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(random);
        var s = _servers;
        var logits = new float[count * s];
        var p = new float[count * s];
        var logp = new float[count * s];
        var ws = count <= _actWorkspace.MaxBatch ? _actWorkspace : Actor.CreateWorkspace(count, s);
        Actor.Forward(servers, masks, preferences, count, ws, logits);
        MaskedSoftmax.Forward(logits, masks, count, s, p, logp);
        double entropy = 0;
        for (var i = 0; i < count; i++)
        {
            var best = -1;
            var u = random.NextDouble();
            var chosen = -1;
            double cumulative = 0;
            for (var a = 0; a < s; a++)
            {
                var k = (i * s) + a;
                if (!(masks[k] > 0.5f))
                {
                    continue;
                }

                entropy -= p[k] * logp[k];
                if (best < 0 || logits[k] > logits[(i * s) + best])
                {
                    best = a;
                }

                cumulative += p[k];
                if (chosen < 0 && u < cumulative)
                {
                    chosen = a;
                }
            }

            actions[i] = deterministic || chosen < 0 ? best : chosen;
        }

        return entropy / Math.Max(count, 1);
    }

    private double TrainCritic(ServerSetNetwork critic, ServerSetNetwork.Workspace workspace, Adam optimiser, float[] q, SacBatch batch)
    {
        var b = batch.Count;
        var s = _servers;
        Array.Clear(_dq, 0, b * s);
        double loss = 0;
        for (var i = 0; i < b; i++)
        {
            var k = (i * s) + batch.Actions[i];
            var error = q[k] - _y[i];
            loss += error * error;
            _dq[k] = error / b;
        }

        ParameterSet.ZeroGradients(critic.Parameters);
        critic.Backward(workspace, _dq);
        ParameterSet.ClipGradientNorm(critic.Parameters, _options.GradientClip);
        optimiser.Step();
        return loss / b;
    }
}
