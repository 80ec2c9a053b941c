using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Baselines;

/// <summary>
/// LinUCB contextual bandit (one linear model shared by all servers, per preference): each server
/// is an arm with a context vector x; it picks argmax theta.x + alpha sqrt(x' A^-1 x) and learns
/// from the scalarised reward w_T*alpha_T*r_T + w_E*alpha_E*r_E. It warms up on its own episodes
/// (other seeds) before the evaluated ones, and keeps learning online during them.
/// The context: in the gmorl profiles (<see cref="MecVecEnv"/>) GMORL's 7 hand features (bias, task
/// Mbit, upload s, execution alone s, queued work s, executing count x execution alone s, energy J);
/// in any other profile the server's observation row (every column of the layout) plus a bias.
/// </summary>
public sealed class LinUcbPolicy(double alpha = 0.5, int warmupEpisodes = 20, double ridge = 1.0) : ISimPolicy
{
    /// <summary>Context dimension in the gmorl profiles.</summary>
    public const int MecDimension = 7;

    private int _d = MecDimension;
    private double[] _aInv = new double[MecDimension * MecDimension];
    private double[] _b = new double[MecDimension];
    private double[] _theta = new double[MecDimension];
    private double[] _x = new double[MecDimension];
    private double[] _tmp = new double[MecDimension];
    private double[] _chosen = [];
    private double _w;

    /// <summary>Context dimension of the last <see cref="Begin"/>'s environment.</summary>
    public int Dimension => _d;

    /// <inheritdoc />
    public string Name => "linucb";

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <inheritdoc />
    public void Begin(IVecEnv env, double delayWeight, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(env);
        _w = delayWeight;
        var d = env is MecVecEnv ? MecDimension : env.FeatureCount + 1;
        if (d != _d)
        {
            _d = d;
            _aInv = new double[d * d];
            _b = new double[d];
            _theta = new double[d];
            _x = new double[d];
            _tmp = new double[d];
            _chosen = [];
        }

        var dimension = _d;
        Array.Clear(_aInv);
        for (var k = 0; k < dimension; k++)
        {
            _aInv[(k * dimension) + k] = 1.0 / ridge;
        }

        Array.Clear(_b);
        Array.Clear(_theta);
        if (warmupEpisodes <= 0)
        {
            return;
        }

        var warm = env.CreateLike(warmupEpisodes, SimRandom.Mix(seed, 0x4C494E55), autoReset: false);
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

        var finished = 0;
        while (finished < n)
        {
            warm.Observe(servers, mask, pref);
            Act(warm, servers, mask, pref, actions);
            warm.Step(actions, rT, rE, done);
            Observe(warm, actions, rT, rE);
            finished = 0;
            for (var i = 0; i < n; i++)
            {
                finished += warm.IsDone(i) ? 1 : 0;
            }
        }
    }

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        var dimension = _d;
        if ((env is MecVecEnv ? MecDimension : env.FeatureCount + 1) != dimension)
        {
            throw new InvalidOperationException("Begin must be called with this environment's profile before Act.");
        }

        if (_chosen.Length != actions.Length * dimension)
        {
            _chosen = new double[actions.Length * dimension];
        }

        for (var i = 0; i < actions.Length; i++)
        {
            var best = GreedyPolicy.NoTaskAction(env, i);
            if (env.HasTask(i))
            {
                var bestScore = double.NegativeInfinity;
                for (var s = 0; s < env.MaxServers; s++)
                {
                    if (!env.IsPresent(i, s))
                    {
                        continue;
                    }

                    Features(env, servers, i, s, _x);
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

            Features(env, servers, i, best, _chosen.AsSpan(i * dimension, dimension));
            actions[i] = best;
        }
    }

    /// <inheritdoc />
    public void Observe(IVecEnv env, ReadOnlySpan<int> actions, ReadOnlySpan<float> delayReward, ReadOnlySpan<float> energyReward)
    {
        ArgumentNullException.ThrowIfNull(env);
        var dimension = _d;
        for (var i = 0; i < actions.Length; i++)
        {
            if (delayReward[i] == 0 && energyReward[i] == 0)
            {
                continue; // zero-size task: nothing learned
            }

            var r = (_w * env.DelayRewardScale * delayReward[i]) + ((1 - _w) * env.EnergyRewardScale * energyReward[i]);
            var x = _chosen.AsSpan(i * dimension, dimension);
            // Sherman-Morrison: (A + x x')^-1 = A^-1 - (A^-1 x)(x' A^-1) / (1 + x' A^-1 x).
            MulAInv(x, _tmp);
            var denom = 1 + Dot(x, _tmp);
            for (var r0 = 0; r0 < dimension; r0++)
            {
                for (var c = 0; c < dimension; c++)
                {
                    _aInv[(r0 * dimension) + c] -= _tmp[r0] * _tmp[c] / denom;
                }

                _b[r0] += r * x[r0];
            }

            MulAInv(_b, _theta);
        }
    }

    private static void Features(IVecEnv vec, ReadOnlySpan<float> servers, int i, int s, Span<double> x)
    {
        if (vec is not MecVecEnv env)
        {
            var f = vec.FeatureCount;
            var row = servers.Slice(((i * vec.MaxServers) + s) * f, f);
            x[0] = 1;
            for (var k = 0; k < f; k++)
            {
                x[k + 1] = row[k];
            }

            return;
        }

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
        var dimension = _d;
        for (var r = 0; r < dimension; r++)
        {
            var sum = 0.0;
            for (var c = 0; c < dimension; c++)
            {
                sum += _aInv[(r * dimension) + c] * x[c];
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
