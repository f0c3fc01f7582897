using System.Diagnostics;

namespace Gateway.Observability;

/// <summary>
/// The gateway's decision on a request, written on the request's server span (the one ASP.NET Core's instrumentation
/// starts) as attributes and as one <c>gateway.decision</c> event: the outcome, the refusal code, the judged key's id.
/// Never the key itself, nor anything from the query or headers. With tracing off ASP.NET Core still starts an activity
/// for every request (logging reads its ids), one no listener records; it is left alone, so each call is a read of
/// <see cref="Activity.Current"/> and of its source's listener flag. Writing to it cost about 500 bytes per request
/// (tags, an event, its tag collection) that nothing ever exported (bench/HotPath/README.md, issue 11).
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
        if (Recording() is { } activity)
        {
            activity.SetTag(KeyIdTag, keyId);
        }
    }

    public static void Allowed() => Decided("allowed", null);

    public static void Refused(string code) => Decided("refused", code);

    private static void Decided(string outcome, string? code)
    {
        if (Recording() is not { } activity)
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

    // The request's activity when a listener (OpenTelemetry's, with tracing on) asked for its data; null otherwise.
    private static Activity? Recording() =>
        Activity.Current is { IsAllDataRequested: true } activity && activity.Source.HasListeners() ? activity : null;
}
