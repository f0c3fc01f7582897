using Microsoft.Extensions.Primitives;

namespace Gateway.Configuration;

/// <summary>
/// The configuration every gateway option and the proxy's routes are bound to: a copy of the real configuration
/// that a reload replaces only when every check accepts the whole of it. A reload with an invalid
/// value in any section is refused as a whole and logged, and every option keeps its last valid value, so a bad
/// edit of the config file can never make requests fail. The start itself is validated by ValidateOnStart, and
/// YARP's own route checks still run on what is published.
/// </summary>
public sealed partial class ValidatedConfiguration : IDisposable
{
    private readonly IConfiguration _source;
    private readonly SnapshotProvider _snapshot;
    private readonly List<Func<IConfiguration, IServiceProvider, IEnumerable<string>>> _checks = [];
    private IDisposable? _watch;

    public ValidatedConfiguration(IConfiguration source)
    {
        _source = source;
        _snapshot = new SnapshotProvider(source);
        Configuration = new ConfigurationRoot([_snapshot]);
    }

    /// <summary>What options and routes read: the last configuration every check accepted.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>Adds a check run on each reloaded configuration; it yields one message per problem, none when valid.</summary>
    public void AddCheck(Func<IConfiguration, IServiceProvider, IEnumerable<string>> check) => _checks.Add(check);

    /// <summary>From now on, checks each reload of the real configuration and publishes it only when valid.</summary>
    internal void Watch(IServiceProvider services, ILogger logger)
    {
        _watch = ChangeToken.OnChange(_source.GetReloadToken, () => OnReloaded(services, logger));
        // A reload between the first read of the copy and this subscription would otherwise wait for the next one.
        OnReloaded(services, logger);
    }

    public void Dispose() => _watch?.Dispose();

    private void OnReloaded(IServiceProvider services, ILogger logger)
    {
        try
        {
            var candidate = SnapshotProvider.Copy(_source);
            if (_snapshot.Holds(candidate))
            {
                return;
            }

            var view = new ConfigurationBuilder().AddInMemoryCollection(candidate).Build();
            var problems = _checks.SelectMany(check => check(view, services)).ToList();
            if (problems.Count > 0)
            {
                Log.ReloadRefused(logger, problems.Count, string.Join(" | ", problems));
                return;
            }

            _snapshot.Publish(candidate);
            Log.ReloadApplied(logger);
        }
        catch (Exception ex)
        {
            // Fails safe: whatever went wrong, the last valid configuration keeps serving. The change callback
            // runs on the file watcher's thread, where an exception would be lost or end the process.
            Log.ReloadFailed(logger, ex);
        }
    }

    /// <summary>A read-only copy of the real configuration's values, replaced whole on publish.</summary>
    private sealed class SnapshotProvider(IConfiguration source) : ConfigurationProvider
    {
        private readonly Lock _gate = new();
        private bool _initialised;

        public static Dictionary<string, string?> Copy(IConfiguration configuration)
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in configuration.AsEnumerable())
            {
                if (value is not null)
                {
                    data[key] = value;
                }
            }

            return data;
        }

        // Nothing to load when the root is built: the copy is taken at the first read, once the host has added
        // every source (test hosts and command lines add theirs after AddGateway runs).
        public override void Load()
        {
        }

        public override bool TryGet(string key, out string? value)
        {
            EnsureInitialised();
            return base.TryGet(key, out value);
        }

        public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            EnsureInitialised();
            return base.GetChildKeys(earlierKeys, parentPath);
        }

        public bool Holds(Dictionary<string, string?> candidate)
        {
            EnsureInitialised();
            var current = Data;
            return current.Count == candidate.Count
                && candidate.All(pair => current.TryGetValue(pair.Key, out var value) && string.Equals(value, pair.Value, StringComparison.Ordinal));
        }

        public void Publish(Dictionary<string, string?> data)
        {
            lock (_gate)
            {
                Data = data;
                _initialised = true;
            }

            OnReload();
        }

        private void EnsureInitialised()
        {
            if (Volatile.Read(ref _initialised))
            {
                return;
            }

            lock (_gate)
            {
                if (!_initialised)
                {
                    Data = Copy(source);
                    Volatile.Write(ref _initialised, true);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1501, Level = LogLevel.Error,
            Message = "Config reload refused as a whole: {Count} invalid value(s); every option keeps its last valid value. {Problems}")]
        public static partial void ReloadRefused(ILogger logger, int count, string problems);

        [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Config reload applied.")]
        public static partial void ReloadApplied(ILogger logger);

        [LoggerMessage(EventId = 1503, Level = LogLevel.Error,
            Message = "Config reload could not be checked; the last valid configuration keeps serving.")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);
    }
}
