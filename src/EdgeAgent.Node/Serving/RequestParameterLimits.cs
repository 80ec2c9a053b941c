using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference;
using Google.Protobuf.Collections;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Limits on a ModelInfer request's names (model, version, id, tensors, datatypes) and parameters (the request's, every input's and every requested
/// output's maps together): how many, how long a key, how long a string value. A request over them
/// is refused before anything else is done with it, so the agent never forwards unbounded
/// parameters to a peer (issue 13: 50,000 entries and 8 MB strings were forwarded). A request
/// over them gets RESOURCE_EXHAUSTED, not INVALID_ARGUMENT: the limits are this node's settings,
/// not the protocol's, so an agent whose peer has stricter limits runs the request locally
/// instead of failing it (Dispatcher.FallsBackLocally).
/// </summary>
public static class RequestParameterLimits
{
    /// <summary>Throws when <paramref name="request"/>'s parameters exceed <paramref name="options"/>' limits.</summary>
    /// <exception cref="InferenceException"><see cref="InferenceError.ResourceExhausted"/> naming the parameter and the setting.</exception>
    public static void Check(ModelInferRequest request, ServingOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        Name(request.ModelName, "The model name", options);
        Name(request.ModelVersion, "The model version", options);
        Name(request.Id, "The request id", options);
        var count = request.Parameters.Count;
        Check(request.Parameters, "the request", options);
        foreach (var input in request.Inputs)
        {
            Name(input.Name, "An input name", options);
            Name(input.Datatype, $"The datatype of input '{Shorten(input.Name)}'", options);
            count += input.Parameters.Count;
            Check(input.Parameters, $"input '{Shorten(input.Name)}'", options);
        }

        foreach (var output in request.Outputs)
        {
            Name(output.Name, "A requested output name", options);
            count += output.Parameters.Count;
            Check(output.Parameters, $"requested output '{Shorten(output.Name)}'", options);
        }

        if (count > options.MaxParameters)
        {
            throw new InferenceException(InferenceError.ResourceExhausted,
                $"The request carries {count} parameters (request, inputs and outputs together), over the limit of {options.MaxParameters} (Serving:MaxParameters).");
        }
    }

    private static void Check(MapField<string, InferParameter> parameters, string owner, ServingOptions options)
    {
        if (parameters.Count > options.MaxParameters)
        {
            throw new InferenceException(InferenceError.ResourceExhausted,
                $"The parameters of {owner} have {parameters.Count} entries, over the limit of {options.MaxParameters} (Serving:MaxParameters).");
        }

        foreach (var (key, value) in parameters)
        {
            if (key.Length > options.MaxNameLength)
            {
                throw new InferenceException(InferenceError.ResourceExhausted,
                    $"A parameter key of {owner} ('{Shorten(key)}') has {key.Length} characters, over the limit of {options.MaxNameLength} (Serving:MaxNameLength).");
            }

            if (value?.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.StringParam && value.StringParam.Length > options.MaxParameterStringLength)
            {
                throw new InferenceException(InferenceError.ResourceExhausted,
                    $"Parameter '{Shorten(key)}' of {owner} is a string of {value.StringParam.Length} characters, over the limit of {options.MaxParameterStringLength} (Serving:MaxParameterStringLength).");
            }
        }
    }

    private static void Name(string value, string what, ServingOptions options)
    {
        if (value.Length > options.MaxNameLength)
        {
            throw new InferenceException(InferenceError.ResourceExhausted,
                $"{what} ('{Shorten(value)}') has {value.Length} characters, over the limit of {options.MaxNameLength} (Serving:MaxNameLength).");
        }
    }

    // Names echoed in a message are cut: the message must stay one short line whatever was sent.
    // Names echoed here are cut at 64 characters (61 and "...") and escaped like every quoted wire name.
    private static string Shorten(string text) => WireText.Printable(text, text.Length <= 64 ? 64 : 61);
}
