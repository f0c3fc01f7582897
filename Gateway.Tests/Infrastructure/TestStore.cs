using Gateway.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The store every test shares: the redis-server that CI names in <c>GATEWAY_TEST_REDIS</c>, else one embedded
/// Garnet for the whole run (a user's fresh machine). Tests isolate themselves with a unique key prefix.
/// </summary>
public static class TestStore
{
    public const string EnvironmentVariable = "GATEWAY_TEST_REDIS";
    private static readonly Lazy<string> Shared = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Configuration => Shared.Value;

    public static string UniquePrefix() => $"t{Guid.NewGuid():N}"[..13] + ":";

    /// <summary>A connection of the gateway's own kind to the shared store, under <paramref name="keyPrefix"/> (a unique one if none).</summary>
    public static StoreConnection Connect(string? keyPrefix = null) => new(
        Microsoft.Extensions.Options.Options.Create(new RedisOptions { Configuration = Configuration, KeyPrefix = keyPrefix ?? UniquePrefix() }),
        Microsoft.Extensions.Options.Options.Create(new StoreOptions()),
        NullLoggerFactory.Instance);

    private static string StartShared()
    {
        var named = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(named))
        {
            return named;
        }

        var directory = Path.Combine(Path.GetTempPath(), "gateway-tests-garnet-" + Guid.NewGuid().ToString("N"));
        var (server, port) = EmbeddedGarnet.Start(directory, NullLoggerFactory.Instance);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            server.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        };
        return $"127.0.0.1:{port}";
    }
}
