using System.Diagnostics;

namespace Gateway.Observability;

/// <summary>
/// The gateway's decision on a request, written on the request's server span (the one ASP.NET Core's instrumentation
/// starts) as attributes and as one <c>gateway.decision</c> event: the outcome, the refusal code, the judged key's id.
/// Never the key itself, nor anything from the query or headers. With tracing off there is no current activity, and
/// each call is one read of <see cref="Activity.Current"/>.
/// </summary>
internal static class GatewayTracing
{
    public const string OutcomeTag = "gateway.decision";
    public const string RefusalTag = "gateway.refusal_code";
    public const string KeyIdTag = "gateway.key_id";
    public const string DecisionEvent = "gateway.decision";

    /// <summary>The key was found; its id names the request's key whatever the outcome.</summary>
    public static void KeyJudged(string keyId)
    {
        if (Activity.Current is { IsAllDataRequested: true } activity)
        {
            activity.SetTag(KeyIdTag, keyId);
        }
    }

    public static void Allowed() => Decided("allowed", null);

    public static void Refused(string code) => Decided("refused", code);

    private static void Decided(string outcome, string? code)
    {
        if (Activity.Current is not { IsAllDataRequested: true } activity)
        {
            return;
        }

        activity.SetTag(OutcomeTag, outcome);
        var tags = new ActivityTagsCollection { [OutcomeTag] = outcome };
        if (code is not null)
        {
            activity.SetTag(RefusalTag, code);
            tags[RefusalTag] = code;
        }

        if (activity.GetTagItem(KeyIdTag) is string keyId)
        {
            tags[KeyIdTag] = keyId;
        }

        activity.AddEvent(new ActivityEvent(DecisionEvent, tags: tags));
    }
}
