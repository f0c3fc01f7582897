using System.Collections;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Observability;

/// <summary>
/// Wraps the host's <see cref="ILoggerFactory"/> so every logger, the framework's included, passes what it logs
/// through <see cref="LogRedaction"/> before any provider sees it: the message, each structured value, and the
/// exception text. ASP.NET Core logs each request line with its query before any middleware runs, and Kestrel's
/// bad-request errors quote request and header lines, so redaction has to happen here, not in the pipeline.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The wrapped factory belongs to the container, which disposes it.
    public void Dispose()
    {
    }

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var exceptionText = exception?.ToString();
            var values = state as IReadOnlyList<KeyValuePair<string, object?>>;

            // The common case costs a scan of the values: a message is made of its template and its values.
            if (!LogRedaction.MayHold(exceptionText) && (values is not null ? !AnyMayHold(values) : !LogRedaction.MayHold(formatter(state, exception))))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var message = LogRedaction.Redact(formatter(state, exception));
            var redacted = new RedactedState(message, values?.Select(Redact).ToArray() ?? []);
            var safeException = exception is null || !LogRedaction.MayHold(exceptionText) ? exception : new RedactedException(exception, LogRedaction.Redact(exceptionText!));
            inner.Log(logLevel, eventId, redacted, safeException, static (s, _) => s.Message);
        }

        private static bool AnyMayHold(IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (LogRedaction.MayHold(Text(values[i].Value)))
                {
                    return true;
                }
            }

            return false;
        }

        private static KeyValuePair<string, object?> Redact(KeyValuePair<string, object?> pair) =>
            Text(pair.Value) is { } text && LogRedaction.MayHold(text) ? new(pair.Key, LogRedaction.Redact(text)) : pair;

        // Numbers and other plain values cannot hold a credential; strings, URIs, paths and lists can.
        private static string? Text(object? value) => value switch
        {
            null or bool or int or long or double or decimal or Enum or DateTime or DateTimeOffset or TimeSpan or Guid => null,
            string text => text,
            IEnumerable items => string.Join(",", items.Cast<object?>()),
            _ => value.ToString(),
        };
    }

    /// <summary>A redacted log state: still structured, and formatted as its redacted message.</summary>
    private sealed class RedactedState(string message, KeyValuePair<string, object?>[] values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public int Count => values.Length;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => values.GetEnumerator();

        public override string ToString() => Message;
    }

    /// <summary>Stands in for an exception whose text held a credential: same type name, redacted text, no stack to re-read.</summary>
    private sealed class RedactedException(Exception original, string text) : Exception(LogRedaction.Redact(original.Message))
    {
        public override string ToString() => text;
    }
}

/// <summary>Registers <see cref="RedactingLoggerFactory"/> around the host's logger factory.</summary>
public static class RedactingLoggingExtensions
{
    public static IServiceCollection AddLogRedaction(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var original = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory))
            ?? throw new InvalidOperationException("AddLogRedaction needs logging to be added first (AddLogging).");
        services.Remove(original);
        if (original.ImplementationType is { } type)
        {
            // The container builds and disposes the real factory, choosing its constructor as before.
            services.TryAdd(ServiceDescriptor.Singleton(type, type));
        }

        services.AddSingleton<ILoggerFactory>(sp => new RedactingLoggerFactory(
            (ILoggerFactory?)original.ImplementationInstance
            ?? (ILoggerFactory?)original.ImplementationFactory?.Invoke(sp)
            ?? (ILoggerFactory)sp.GetRequiredService(original.ImplementationType!)));
        return services;
    }
}
