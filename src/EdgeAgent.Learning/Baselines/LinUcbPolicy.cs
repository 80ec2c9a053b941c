using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Baselines;

/// <summary>
/// LinUCB contextual bandit (one linear model shared by all servers, per preference): each server
/// is an arm with a context vector x (bias, task Mbit, upload s, execution alone s, queued work s,
/// executing count x execution alone s, energy J); it picks argmax theta.x + alpha sqrt(x' A^-1 x)
/// and learns from the scalarised reward w_T*alpha_T*r_T + w_E*alpha_E*r_E. It warms up on its own
/// episodes (other seeds) before the evaluated ones, and keeps learning online during them.
/// </summary>
public sealed class LinUcbPolicy(double alpha = 0.5, int warmupEpisodes = 20, double ridge = 1.0) : ISimPolicy
{
    /// <summary>Context dimension.</summary>
    public const int Dimension = 7;

    private readonly double[] _aInv = new double[Dimension * Dimension];
    private readonly double[] _b = new double[Dimension];
    private readonly double[] _theta = new double[Dimension];
    private readonly double[] _x = new double[Dimension];
    private readonly double[] _tmp = new double[Dimension];
    private double[] _chosen = [];
    private double _w;

    /// <inheritdoc />
    public string Name => "linucb";

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <inheritdoc />
    public void Begin(MecVecEnv env, double delayWeight, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(env);
        _w = delayWeight;
        Array.Clear(_aInv);
        for (var k = 0; k < Dimension; k++)
        {
            _aInv[(k * Dimension) + k] = 1.0 / ridge;
        }

        Array.Clear(_b);
        Array.Clear(_theta);
        if (warmupEpisodes <= 0)
        {
            return;
        }

        var warm = new MecVecEnv(env.Parameters, env.Contexts, warmupEpisodes, SimRandom.Mix(seed, 0x4C494E55), autoReset: false);
        var n = warm.Count;
        var servers = new float[n * warm.MaxServers * warm.FeatureCount];
        var mask = new float[n * warm.MaxServers];
        var pref = new float[n * 2];
        var actions = new int[n];
        var rT = new float[n];
        var rE = new float[n];
        var done = new bool[n];
        for (var i = 0; i < n; i++)
        {
            warm.SetPreference(i, delayWeight);
        }

        for (var t = 0; t < env.Parameters.StepsPerEpisode; t++)
        {
            warm.Observe(servers, mask, pref);
            Act(warm, servers, mask, pref, actions);
            warm.Step(actions, rT, rE, done);
            Observe(warm, actions, rT, rE);
        }
    }

    /// <inheritdoc />
    public void Act(MecVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (_chosen.Length != actions.Length * Dimension)
        {
            _chosen = new double[actions.Length * Dimension];
        }

        for (var i = 0; i < actions.Length; i++)
        {
            var best = env.CloudIndex;
            if (env.TaskBits(i) > 0)
            {
                var bestScore = double.NegativeInfinity;
                for (var s = 0; s < env.PresentServers(i); s++)
                {
                    Features(env, i, s, _x);
                    var mean = Dot(_theta, _x);
                    MulAInv(_x, _tmp);
                    var score = mean + (alpha * Math.Sqrt(Math.Max(0, Dot(_x, _tmp))));
                    if (score > bestScore)
                    {
                        bestScore = score;
                        best = s;
                    }
                }
            }

            Features(env, i, best, _chosen.AsSpan(i * Dimension, Dimension));
            actions[i] = best;
        }
    }

    /// <inheritdoc />
    public void Observe(MecVecEnv env, ReadOnlySpan<int> actions, ReadOnlySpan<float> delayReward, ReadOnlySpan<float> energyReward)
    {
        ArgumentNullException.ThrowIfNull(env);
        var p = env.Parameters;
        for (var i = 0; i < actions.Length; i++)
        {
            if (delayReward[i] == 0 && energyReward[i] == 0)
            {
                continue; // zero-size task: nothing learned
            }

            var r = (_w * p.DelayRewardScale * delayReward[i]) + ((1 - _w) * p.EnergyRewardScale * energyReward[i]);
            var x = _chosen.AsSpan(i * Dimension, Dimension);
            // Sherman-Morrison: (A + x x')^-1 = A^-1 - (A^-1 x)(x' A^-1) / (1 + x' A^-1 x).
            MulAInv(x, _tmp);
            var denom = 1 + Dot(x, _tmp);
            for (var r0 = 0; r0 < Dimension; r0++)
            {
                for (var c = 0; c < Dimension; c++)
                {
                    _aInv[(r0 * Dimension) + c] -= _tmp[r0] * _tmp[c] / denom;
                }

                _b[r0] += r * x[r0];
            }

            MulAInv(_b, _theta);
        }
    }

    private static void Features(MecVecEnv env, int i, int s, Span<double> x)
    {
        var p = env.Parameters;
        var bits = env.TaskBits(i);
        var hz = env.ComputeHz(i, s);
        var rate = env.UplinkBitsPerSecond(i, s);
        var upload = double.IsPositiveInfinity(rate) ? 0 : bits / rate;
        var alone = bits * p.CyclesPerBit / hz;
        env.MarginalCost(i, s, out _, out var energy);
        x[0] = 1;
        x[1] = bits * 1e-6;
        x[2] = upload;
        x[3] = alone;
        x[4] = env.ResidualBits(i, s) * p.CyclesPerBit / hz;
        x[5] = env.Executing(i, s) * alone;
        x[6] = energy;
    }

    private void MulAInv(ReadOnlySpan<double> x, Span<double> y)
    {
        for (var r = 0; r < Dimension; r++)
        {
            var sum = 0.0;
            for (var c = 0; c < Dimension; c++)
            {
                sum += _aInv[(r * Dimension) + c] * x[c];
            }

            y[r] = sum;
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var k = 0; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }
}
