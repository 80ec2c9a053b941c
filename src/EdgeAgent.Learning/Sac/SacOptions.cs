using System.Globalization;
using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Sac;

/// <summary>
/// Hyper-parameters of preference-conditioned Discrete SAC. Defaults are what measured best here
/// on the gmorl profile in the time we had (see policies/README.md), not the paper's (which used
/// learning rates of 1e-6 and 4000 epochs).
/// </summary>
public sealed record SacOptions
{
    /// <summary>Parallel environments stepped as one batch.</summary>
    public int Environments { get; init; } = 32;

    /// <summary>Transitions per gradient step.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Replay capacity in transitions (rounded down to whole vector steps).</summary>
    public int ReplayCapacity { get; init; } = 100_000;

    /// <summary>Transitions collected before the first update.</summary>
    public int WarmupTransitions { get; init; } = 5_000;

    /// <summary>Gradient steps per vector step of all environments.</summary>
    public int UpdatesPerStep { get; init; } = 1;

    /// <summary>Discount per decision.</summary>
    public double Gamma { get; init; } = 0.95;

    /// <summary>Steps summed into one target (n-step return; 1 is plain SAC).</summary>
    public int NStep { get; init; } = 3;

    /// <summary>Polyak rate of the target critics.</summary>
    public double Tau { get; init; } = 0.005;

    /// <summary>Actor step size (Adam).</summary>
    public double ActorLearningRate { get; init; } = 3e-4;

    /// <summary>Critic step size (Adam).</summary>
    public double CriticLearningRate { get; init; } = 3e-4;

    /// <summary>Step size of the log-temperature when it is tuned.</summary>
    public double TemperatureLearningRate { get; init; } = 3e-4;

    /// <summary>Starting (or, when <see cref="TuneTemperature"/> is false, fixed) entropy temperature.</summary>
    public double Temperature { get; init; } = 0.05;

    /// <summary>When true the temperature follows the target entropy; when false it stays fixed.</summary>
    public bool TuneTemperature { get; init; } = true;

    /// <summary>Target entropy as a fraction of log(present servers) of each state.</summary>
    public double TargetEntropyRatio { get; init; } = 0.15;

    /// <summary>Global-norm gradient clip per network.</summary>
    public double GradientClip { get; init; } = 10.0;

    /// <summary>Hidden width of actor and critics.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Residual blocks in each encoder.</summary>
    public int EncoderBlocks { get; init; } = 1;

    /// <summary>Residual blocks in each head.</summary>
    public int HeadBlocks { get; init; } = 1;

    /// <summary>
    /// How the preference enters the networks. Resuming a <see cref="PreferenceEncoding.Linear"/>
    /// checkpoint with <see cref="PreferenceEncoding.Log"/> widens the input layers with zero weights,
    /// so training continues from the same policy.
    /// </summary>
    public PreferenceEncoding PreferenceEncoding { get; init; } = PreferenceEncoding.Linear;

    /// <summary>
    /// Give the networks a scalarised cost estimate as three more inputs per server (the gap to the
    /// cheapest server, the log delay share and the cheapest-server flag): the gmorl profiles'
    /// closed form (<see cref="Nn.CostFeatures"/>), or for the agent layout its rows' own delay and
    /// energy estimates normalised by the device's fp32 row (<see cref="Nn.AgentCostFeatures"/>). Resuming a
    /// checkpoint without them widens the input layers with zero weights, so training continues from the same policy.
    /// </summary>
    public bool UseCostFeatures { get; init; }

    /// <summary>
    /// The actor's <see cref="Nn.ServerSetShape.GreedyBelow"/>: below this w_delay its logits blend
    /// toward the cost features' cheapest server, which it is exactly at w_delay = 0 (0: off; needs
    /// <see cref="UseCostFeatures"/>). The critics are unchanged. Resuming a checkpoint with another
    /// value keeps every weight: only the actor's output below this w_delay changes.
    /// </summary>
    public float GreedyBelow { get; init; }

    /// <summary>
    /// Divide each preference's scalarised reward by its typical magnitude (estimated once from the
    /// warm-up data and then frozen), so Q-values have the same scale at every preference. The
    /// optimal policy of each preference is unchanged.
    /// </summary>
    public bool NormaliseRewards { get; init; } = true;

    /// <summary>Probability that a replayed transition is relabelled with a freshly drawn preference (the dynamics do not depend on it).</summary>
    public double PreferenceRelabelProbability { get; init; } = 0.75;

    /// <summary>
    /// Probability that a drawn preference comes from [<see cref="FocusDelayWeightMin"/>, 1] instead of [0, 1]:
    /// with alpha_T = 0.01 and alpha_E = 50 the whole trade-off of the gmorl profile lies at w_delay above about 0.85.
    /// </summary>
    public double FocusProbability { get; init; } = 0.5;

    /// <summary>Lower end of the focused preference range.</summary>
    public double FocusDelayWeightMin { get; init; } = 0.8;

    /// <summary>
    /// Probability that a drawn preference comes from [0, <see cref="LowFocusDelayWeightMax"/>]: near
    /// w_delay = 0 the servers differ only by the small upload energy, and the actor needs many
    /// samples there to tell them apart and to keep balancing load.
    /// </summary>
    public double LowFocusProbability { get; init; } = 0.1;

    /// <summary>Upper end of the low focused preference range.</summary>
    public double LowFocusDelayWeightMax { get; init; } = 0.1;

    /// <summary>
    /// Probability that a drawn preference is exactly w_delay = 0 or exactly 1 (half each), before
    /// the other shares apply. The ends are settings operators use (energy only, delay only), and
    /// at exactly 0 the best choice changes abruptly: energy has no queueing term, so the cheapest
    /// server by energy is optimal, while at 0.01 queueing already matters.
    /// </summary>
    public double EndpointProbability { get; init; }

    /// <summary>Probability that an environment draws a new preference at the start of an episode (else it keeps its evenly spaced one).</summary>
    public double PreferenceResampleProbability { get; init; } = 0.5;

    /// <summary>Gradient steps of behaviour cloning from the greedy baseline before SAC's actor loss takes over (0 disables the warm start).</summary>
    public int BehaviourCloningUpdates { get; init; } = 2_000;

    /// <summary>While cloning, the chance the environments act at random instead of greedily (exploration for the critics).</summary>
    public double CloningExploration { get; init; } = 0.2;

    /// <summary>The planner whose labels the warm start clones (and, with <see cref="TeacherWeight"/>, SAC keeps close to).</summary>
    public TeacherKind Teacher { get; init; } = TeacherKind.Greedy;

    /// <summary>Greedy steps the rollout teacher simulates after each tried placement.</summary>
    public int RolloutHorizon { get; init; } = 10;

    /// <summary>Sampled futures the rollout teacher averages per tried placement.</summary>
    public int RolloutFutures { get; init; } = 4;

    /// <summary>
    /// Agent profile: the rollout teacher's sampled futures also redraw what the simulator has drawn but the
    /// observation does not carry (the next arrival, the current page's lines, realised execution times), so
    /// its labels are decisions the actor, which sees only the observation, can learn to make.
    /// </summary>
    public bool RolloutObservedOnly { get; init; }

    /// <summary>
    /// Agent profile: as <see cref="RolloutObservedOnly"/> (implies it), and the sampled futures also redraw the realised
    /// remaining times of the runs already running or queued and the lines of pages still in detection
    /// (<see cref="Simulation.Agent.AgentVecEnv.RedrawRemaining"/>): the teacher plans on the current state only as the
    /// observation summarises it.
    /// </summary>
    public bool RolloutObservedState { get; init; }

    /// <summary>
    /// The base policies the rollout teacher continues with after each tried placement: greedy (the default), the
    /// heuristic (agent profile), or both with each row valued at the better of the two, so the labels are at
    /// least as good as either base policy's own decisions (policy improvement over each).
    /// </summary>
    public Baselines.RolloutContinuation RolloutContinuation { get; init; } = Baselines.RolloutContinuation.Greedy;

    /// <summary>
    /// While cloning, the chance an environment follows the actor's own sampled action instead of the
    /// teacher's (DAgger: the teacher then labels the states the actor itself reaches).
    /// </summary>
    public double CloningStudentProbability { get; init; }

    /// <summary>
    /// Weight of the teacher's cross-entropy added to SAC's actor loss after the warm start
    /// (0: pure SAC). Labels exist only for transitions replayed at the preference they were
    /// labelled with, so relabelled transitions carry none.
    /// </summary>
    public double TeacherWeight { get; init; }

    /// <summary>Throws when a value is out of range; the message names it.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string range)
        {
            if (!ok)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"SAC option {name} = {value} is out of range: {range}."));
            }
        }

        Require(Environments is >= 1 and <= 4096, nameof(Environments), Environments, "1 to 4096");
        Require(BatchSize is >= 1 and <= 65536, nameof(BatchSize), BatchSize, "1 to 65536");
        Require(ReplayCapacity >= Environments * 4, nameof(ReplayCapacity), ReplayCapacity, "at least 4 vector steps");
        Require(WarmupTransitions >= 0, nameof(WarmupTransitions), WarmupTransitions, "0 or more");
        Require(UpdatesPerStep is >= 0 and <= 1000, nameof(UpdatesPerStep), UpdatesPerStep, "0 to 1000");
        Require(Gamma is >= 0 and < 1, nameof(Gamma), Gamma, "[0, 1)");
        Require(NStep is >= 1 and <= 50, nameof(NStep), NStep, "1 to 50");
        Require(Tau is > 0 and <= 1, nameof(Tau), Tau, "(0, 1]");
        Require(ActorLearningRate > 0, nameof(ActorLearningRate), ActorLearningRate, "positive");
        Require(CriticLearningRate > 0, nameof(CriticLearningRate), CriticLearningRate, "positive");
        Require(TemperatureLearningRate > 0, nameof(TemperatureLearningRate), TemperatureLearningRate, "positive");
        Require(Temperature > 0, nameof(Temperature), Temperature, "positive");
        Require(TargetEntropyRatio is >= 0 and <= 1, nameof(TargetEntropyRatio), TargetEntropyRatio, "[0, 1]");
        Require(GradientClip > 0, nameof(GradientClip), GradientClip, "positive");
        Require(Hidden is >= 4 and <= 1024, nameof(Hidden), Hidden, "4 to 1024");
        Require(EncoderBlocks is >= 0 and <= 8, nameof(EncoderBlocks), EncoderBlocks, "0 to 8");
        Require(HeadBlocks is >= 0 and <= 8, nameof(HeadBlocks), HeadBlocks, "0 to 8");
        Require(Enum.IsDefined(PreferenceEncoding), nameof(PreferenceEncoding), PreferenceEncoding, "linear or log");
        Require(PreferenceRelabelProbability is >= 0 and <= 1, nameof(PreferenceRelabelProbability), PreferenceRelabelProbability, "[0, 1]");
        Require(FocusProbability is >= 0 and <= 1, nameof(FocusProbability), FocusProbability, "[0, 1]");
        Require(FocusDelayWeightMin is >= 0 and < 1, nameof(FocusDelayWeightMin), FocusDelayWeightMin, "[0, 1)");
        Require(LowFocusProbability is >= 0 and <= 1 && FocusProbability + LowFocusProbability <= 1, nameof(LowFocusProbability), LowFocusProbability, "[0, 1 - FocusProbability]");
        Require(LowFocusDelayWeightMax is > 0 and <= 1, nameof(LowFocusDelayWeightMax), LowFocusDelayWeightMax, "(0, 1]");
        Require(GreedyBelow is >= 0 and < 1, nameof(GreedyBelow), GreedyBelow, "[0, 1)");
        Require(GreedyBelow == 0 || UseCostFeatures, nameof(GreedyBelow), GreedyBelow, "0 without cost features (it blends toward their cheapest server)");
        Require(EndpointProbability is >= 0 and <= 1, nameof(EndpointProbability), EndpointProbability, "[0, 1]");
        Require(PreferenceResampleProbability is >= 0 and <= 1, nameof(PreferenceResampleProbability), PreferenceResampleProbability, "[0, 1]");
        Require(BehaviourCloningUpdates >= 0, nameof(BehaviourCloningUpdates), BehaviourCloningUpdates, "0 or more");
        Require(CloningExploration is >= 0 and <= 1, nameof(CloningExploration), CloningExploration, "[0, 1]");
        Require(Enum.IsDefined(Teacher), nameof(Teacher), Teacher, "greedy or rollout");
        Require(RolloutHorizon is >= 0 and <= 1000, nameof(RolloutHorizon), RolloutHorizon, "0 to 1000");
        Require(RolloutFutures is >= 1 and <= 256, nameof(RolloutFutures), RolloutFutures, "1 to 256");
        Require(RolloutContinuation is Baselines.RolloutContinuation.Greedy or Baselines.RolloutContinuation.Heuristic or Baselines.RolloutContinuation.GreedyOrHeuristic, nameof(RolloutContinuation), RolloutContinuation, "greedy, heuristic or both");
        Require(CloningStudentProbability is >= 0 and <= 1, nameof(CloningStudentProbability), CloningStudentProbability, "[0, 1]");
        Require(TeacherWeight is >= 0 and <= 100 && double.IsFinite(TeacherWeight), nameof(TeacherWeight), TeacherWeight, "0 to 100");
    }

    /// <summary>Draws a preference (w_delay) from the training distribution.</summary>
    public double DrawDelayWeight(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (EndpointProbability > 0 && random.NextDouble() < EndpointProbability)
        {
            return random.NextDouble() < 0.5 ? 0 : 1;
        }

        var u = random.NextDouble();
        return u < FocusProbability ? FocusDelayWeightMin + ((1 - FocusDelayWeightMin) * random.NextDouble())
            : u < FocusProbability + LowFocusProbability ? LowFocusDelayWeightMax * random.NextDouble()
            : random.NextDouble();
    }
}
