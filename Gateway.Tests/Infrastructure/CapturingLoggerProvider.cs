using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Keeps everything a host logs, at every level: each message as formatted, its exception's full text, every
/// structured state value, and every scope value. <see cref="Add"/> installs it at Trace for every category,
/// whatever the host's configuration filters.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _texts = new();
    private long _entries;

    /// <summary>How many log calls were captured (scopes not counted).</summary>
    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>Every captured text: messages, exception texts, state and scope values.</summary>
    public IReadOnlyCollection<string> Texts => _texts.ToArray();

    public void Add(ILoggingBuilder logging)
    {
        logging.AddProvider(this);
        // A rule for this provider is more specific than the config file's Logging:LogLevel:Default, so it wins.
        logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Capture(object? state)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> values)
        {
            foreach (var (name, value) in values)
            {
                _texts.Enqueue($"{name}={Flatten(value)}");
            }
        }
        else if (state is not null)
        {
            _texts.Enqueue(state.ToString() ?? "");
        }
    }

    private static string Flatten(object? value) => value switch
    {
        null => "",
        string text => text,
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(Flatten)),
        _ => value.ToString() ?? "",
    };

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Capture(state);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Interlocked.Increment(ref owner._entries);
            owner._texts.Enqueue($"{logLevel} {category} [{eventId}]: {formatter(state, exception)}");
            if (exception is not null)
            {
                owner._texts.Enqueue(exception.ToString());
            }

            owner.Capture(state);
        }
    }
}
