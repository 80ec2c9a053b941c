using System.Diagnostics;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>Result of a simulator speed run.</summary>
/// <param name="Steps">Environment steps taken.</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="Episodes">Episodes finished.</param>
/// <param name="CpuSeconds">Processor time the process used meanwhile (on a shared machine, wall time also counts time other processes held the core).</param>
public readonly record struct SpeedResult(long Steps, double Seconds, long Episodes, double CpuSeconds)
{
    /// <summary>Steps per wall-clock second.</summary>
    public double StepsPerSecond => Steps / Seconds;

    /// <summary>Steps per second of processor time.</summary>
    public double StepsPerCpuSecond => Steps / CpuSeconds;
}

/// <summary>
/// Measures simulator throughput the way the reference Python figure was measured: random actions,
/// one core, every step also encodes the observation of every environment (the Python environment
/// builds its observation inside step).
/// </summary>
public static class SimulatorSpeed
{
    /// <summary>The public reference Python environment's speed on this machine class (E = 6, random actions, one core): an external figure, not measured in this process.</summary>
    public const double ReferencePythonStepsPerSecond = 8000;

    /// <summary>Steps <paramref name="envs"/> environments with random actions for at least <paramref name="steps"/> steps in total.</summary>
    public static SpeedResult Measure(MecParameters parameters, ContextRange contexts, int envs, long steps, ulong seed) =>
        Measure(new MecVecEnv(parameters, contexts, 1, seed), envs, steps, seed);

    /// <summary>Steps <paramref name="envs"/> environments like <paramref name="prototype"/> with random actions (uniform over present rows) for at least <paramref name="steps"/> steps in total.</summary>
    public static SpeedResult Measure(IVecEnv prototype, int envs, long steps, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        var env = prototype.CreateLike(envs, seed, autoReset: true);
        var mec = env as MecVecEnv;
        var s = env.MaxServers;
        var n = env.Count;
        var servers = new float[n * env.MaxServers * env.FeatureCount];
        var mask = new float[n * env.MaxServers];
        var pref = new float[n * 2];
        var actions = new int[n];
        var rT = new float[n];
        var rE = new float[n];
        var done = new bool[n];
        var rng = new SimRandom(seed ^ 0xABCDEF);
        long episodes = 0;
        long taken = 0;

        // Warm up the JIT (tiered compilation) before timing.
        for (var t = 0; t < 2000 / n + 1; t++)
        {
            StepOnce();
        }

        taken = 0;
        episodes = 0;
        using var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        while (taken < steps)
        {
            StepOnce();
        }

        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        return new SpeedResult(taken, seconds, episodes, cpu);

        void StepOnce()
        {
            env.Observe(servers, mask, pref);
            for (var i = 0; i < n; i++)
            {
                actions[i] = mec is not null ? rng.NextInt(mec.PresentServers(i)) : RandomPresent(mask.AsSpan(i * s, s), ref rng);
            }

            env.Step(actions, rT, rE, done);
            taken += n;
            foreach (var d in done)
            {
                episodes += d ? 1 : 0;
            }
        }
    }

    private static int RandomPresent(ReadOnlySpan<float> mask, ref SimRandom rng)
    {
        var present = 0;
        foreach (var m in mask)
        {
            present += m > 0.5f ? 1 : 0;
        }

        var k = rng.NextInt(present);
        for (var s = 0; s < mask.Length; s++)
        {
            if (mask[s] > 0.5f && k-- == 0)
            {
                return s;
            }
        }

        throw new InvalidOperationException("The observation has no present row.");
    }
}
