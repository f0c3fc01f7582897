using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway on real Kestrel listeners (free loopback ports), reading a config file of the test's own
/// whose clusters point at a recording upstream, on a store and key prefix the test chooses. Several hosts
/// can share one store and prefix to act as several instances.
/// </summary>
public sealed class GatewayHost : WebApplicationFactory<Program>
{
    public const string AdminToken = "test-admin-token-0123456789";
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<ILoggingBuilder>? _configureLogging;
    private HttpClient? _proxy;
    private HttpClient? _admin;

    private readonly Action<IServiceCollection>? _configureServices;

    /// <param name="configureLogging">Runs after the host's own logging set-up (minimum level Warning), e.g. to add a capturing provider.</param>
    /// <param name="configureServices">Runs after the gateway's own registrations, e.g. to add a chaos strategy.</param>
    public GatewayHost(
        string configPath,
        string storeConfiguration,
        string keyPrefix,
        IDictionary<string, string?>? settings = null,
        Action<ILoggingBuilder>? configureLogging = null,
        Action<IServiceCollection>? configureServices = null)
    {
        _configureServices = configureServices;
        ConfigPath = configPath;
        _configureLogging = configureLogging;
        _settings = new Dictionary<string, string?>
        {
            ["GATEWAY_CONFIG"] = configPath,
            ["Redis:Configuration"] = storeConfiguration,
            ["Redis:KeyPrefix"] = keyPrefix,
            ["Admin:Token"] = AdminToken,
            ["Kestrel:Endpoints:Proxy:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Admin:Url"] = "http://127.0.0.1:0",
            // Tests send many bad keys from one address on purpose; the abuse tests set their own limits.
            ["Abuse:FailedKeyAttempts"] = "1000000",
            ["Abuse:FailedAdminAttempts"] = "1000000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        UseKestrel();
    }

    public string ConfigPath { get; }

    /// <summary>
    /// The folders <see cref="WriteConfig"/> made, removed when the test process ends: several hosts (instances) share
    /// one file, so no single host's disposal may delete it.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentBag<string> ConfigDirectories = NewConfigDirectories();

    private static System.Collections.Concurrent.ConcurrentBag<string> NewConfigDirectories()
    {
        var directories = new System.Collections.Concurrent.ConcurrentBag<string>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var directory in directories)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a folder left in the temp directory is harmless.
                }
                catch (UnauthorizedAccessException)
                {
                    // As above.
                }
            }
        };
        return directories;
    }

    public ListenerEndpoints Listeners => Services.GetRequiredService<ListenerEndpoints>();

    public HttpClient Proxy => _proxy ??= NewClient(Listeners.ProxyUri!);

    public HttpClient Admin => _admin ??= NewAdminClient();

    /// <summary>Writes the standard config (the serverless and GraphQL routes) pointing both clusters at <paramref name="upstream"/>.</summary>
    public static string WriteConfig(Uri upstream, Action<JsonObject>? edit = null)
    {
        var config = StandardConfig(upstream);
        edit?.Invoke(config);
        // Each file in a folder of its own: the gateway watches its config file's folder and every folder below it
        // (one inotify watch each), so a file directly in /tmp made every host watch all of /tmp, and a full run
        // exhausted the machine's inotify watches; reload events were then lost.
        var directory = Path.Combine(Path.GetTempPath(), "gateway-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        ConfigDirectories.Add(directory);
        var path = Path.Combine(directory, "gateway.json");
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    public static JsonObject StandardConfig(Uri upstream) => new()
    {
        ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
        ["ReverseProxy"] = new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["serverless"] = new JsonObject
                {
                    ["ClusterId"] = "serverless",
                    ["Match"] = new JsonObject { ["Path"] = "/v2/{endpointId}/{**operation}" },
                    ["Metadata"] = new JsonObject { ["KeyScope"] = "Endpoint" },
                },
                ["graphql"] = new JsonObject
                {
                    ["ClusterId"] = "graphql",
                    ["Match"] = new JsonObject { ["Path"] = "/graphql" },
                    ["Metadata"] = new JsonObject { ["KeyScope"] = "GraphQL" },
                },
            },
            ["Clusters"] = new JsonObject
            {
                ["serverless"] = Cluster(upstream),
                ["graphql"] = Cluster(upstream),
            },
        },
    };

    private static JsonObject Cluster(Uri upstream) => new()
    {
        ["Destinations"] = new JsonObject { ["primary"] = new JsonObject { ["Address"] = upstream.ToString() } },
    };

    /// <summary>Starts the listeners; throws what the gateway's start threw.</summary>
    public GatewayHost Start()
    {
        StartServer();
        return this;
    }

    /// <summary>
    /// Waits (bounded) until <c>/readyz</c> says the store answers. The multiplexer connects in the background, so a
    /// test on a store of its own with 1 s timeouts waits for this before its first admin write: on a loaded machine
    /// the first write could otherwise meet a connection still being made and get 503 store_unavailable.
    /// </summary>
    public async Task<GatewayHost> WaitUntilReadyAsync()
    {
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await Admin.GetAsync("/readyz");
            return ready.StatusCode == System.Net.HttpStatusCode.OK;
        }, "the gateway to reach its store (/readyz 200)", TimeSpan.FromSeconds(30));
        return this;
    }

    /// <summary>Creates a key through the admin API and returns its plaintext and id.</summary>
    public async Task<(string Key, string Id)> CreateKeyAsync(object body)
    {
        var response = await Admin.PostAsJsonAsync("/admin/keys", body);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201)
        {
            throw new InvalidOperationException($"Create failed: {(int)response.StatusCode} {text}");
        }

        var json = JsonNode.Parse(text)!;
        return ((string)json["key"]!, (string)json["id"]!);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Warning);
            _configureLogging?.Invoke(logging);
        });
        if (_configureServices is not null)
        {
            builder.ConfigureServices(_configureServices);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _proxy?.Dispose();
        _admin?.Dispose();
        base.Dispose(disposing);
    }

    private static HttpClient NewClient(Uri baseAddress) => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private HttpClient NewAdminClient()
    {
        var client = NewClient(Listeners.AdminUri!);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }
}
