using System.Collections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Reads what a host's <see cref="FakeLogCollector"/> (<c>AddFakeLogging</c>) kept, as the texts a test searches:
/// a leak can hide in the formatted message, the exception's full text, a structured value or a scope value.
/// </summary>
internal static class FakeLogText
{
    /// <summary>Installs the collector at Trace for every category, whatever the host's configuration filters.</summary>
    public static void AddFakeLoggingAtTrace(this ILoggingBuilder logging)
    {
        logging.AddFakeLogging();
        // A rule for this provider is more specific than the config file's Logging:LogLevel:Default, so it wins.
        logging.AddFilter<FakeLoggerProvider>(null, LogLevel.Trace);
    }

    public static FakeLogCollector FakeLog(this GatewayHost host) => host.Services.GetRequiredService<FakeLogCollector>();

    /// <summary>Whether a record's message or exception holds <paramref name="text"/>.</summary>
    public static bool Logged(this FakeLogCollector log, string text) =>
        log.GetSnapshot().Any(record => Line(record).Contains(text, StringComparison.Ordinal));

    /// <summary>Every record as one line each, for an assertion's message.</summary>
    public static string Lines(this FakeLogCollector log) => string.Join(Environment.NewLine, log.GetSnapshot().Select(Line));

    /// <summary>Every text the records hold: each line, exception text, structured value and scope value.</summary>
    public static IReadOnlyList<string> AllTexts(this FakeLogCollector log)
    {
        var texts = new List<string>();
        foreach (var record in log.GetSnapshot())
        {
            texts.Add(Line(record));
            if (record.Exception is not null)
            {
                texts.Add(record.Exception.ToString());
            }

            texts.AddRange((record.StructuredState ?? []).Select(pair => $"{pair.Key}={pair.Value}"));
            foreach (var scope in record.Scopes)
            {
                AddValues(texts, scope);
            }
        }

        return texts;
    }

    private static string Line(FakeLogRecord record) =>
        $"{record.Level} {record.Category} [{record.Id}]: {record.Message} {record.Exception?.Message}";

    private static void AddValues(List<string> texts, object? state)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> values)
        {
            texts.AddRange(values.Select(pair => $"{pair.Key}={Flatten(pair.Value)}"));
        }
        else if (state is not null)
        {
            texts.Add(state.ToString() ?? "");
        }
    }

    private static string Flatten(object? value) => value switch
    {
        null => "",
        string text => text,
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(Flatten)),
        _ => value.ToString() ?? "",
    };
}
