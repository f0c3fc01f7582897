using Gateway.Admin;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Admin;

/// <summary><see cref="AdminCredentials"/> directly: which credential a token is, the generated token, and reloads.</summary>
public sealed class AdminCredentialsMatchTests
{
    [Fact]
    public void EachToken_MatchesItsOwnCredential_WhereverItIsInTheList()
    {
        var options = new AdminOptions { Token = "legacy-token" };
        foreach (var (name, role) in new[] { ("a", "admin"), ("b", "viewer"), ("c", "viewer"), ("d", "admin") })
        {
            options.Tokens[name] = new AdminCredentialOptions { Sha256 = AdminCredentials.HashOf("token-" + name), Role = role };
        }

        using var credentials = new AdminCredentials(new Monitor(options));

        Assert.Equal(new AdminCaller("admin-token", AdminRole.Admin), credentials.Match("legacy-token"));
        Assert.Equal(new AdminCaller("a", AdminRole.Admin), credentials.Match("token-a"));
        Assert.Equal(new AdminCaller("b", AdminRole.Viewer), credentials.Match("token-b"));
        Assert.Equal(new AdminCaller("c", AdminRole.Viewer), credentials.Match("token-c"));
        Assert.Equal(new AdminCaller("d", AdminRole.Admin), credentials.Match("token-d"));
        Assert.Null(credentials.Match("token-e"));
        Assert.Null(credentials.Match(""));
        Assert.Null(credentials.Match(AdminCredentials.HashOf("token-a")));
        Assert.Null(credentials.TakeGenerated());
    }

    [Fact]
    public void NoCredential_GeneratesOne_PrintedOnce_ThatIsAnAdmin()
    {
        using var credentials = new AdminCredentials(new Monitor(new AdminOptions()));

        var generated = credentials.TakeGenerated();

        Assert.NotNull(generated);
        Assert.StartsWith("adm_", generated, StringComparison.Ordinal);
        Assert.Equal(new AdminCaller("admin-token", AdminRole.Admin), credentials.Match(generated));
        Assert.Null(credentials.TakeGenerated());
    }

    [Fact]
    public void Reload_ReplacesTheSet_AndTheGeneratedTokenOnlyServesWhileNoneIsConfigured()
    {
        var monitor = new Monitor(new AdminOptions());
        using var credentials = new AdminCredentials(monitor);
        var generated = credentials.TakeGenerated()!;

        var configured = new AdminOptions();
        configured.Tokens["ops"] = new AdminCredentialOptions { Sha256 = AdminCredentials.HashOf("ops-token"), Role = "admin" };
        monitor.Change(configured);
        Assert.Equal("ops", credentials.Match("ops-token")?.Name);
        Assert.Null(credentials.Match(generated));

        monitor.Change(new AdminOptions());
        Assert.Null(credentials.Match("ops-token"));
        Assert.Equal("admin-token", credentials.Match(generated)?.Name);
    }

    private sealed class Monitor(AdminOptions value) : IOptionsMonitor<AdminOptions>
    {
        private Action<AdminOptions, string?>? _listener;

        public AdminOptions CurrentValue { get; private set; } = value;

        public AdminOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<AdminOptions, string?> listener)
        {
            _listener = listener;
            return null;
        }

        public void Change(AdminOptions options)
        {
            CurrentValue = options;
            _listener?.Invoke(options, null);
        }
    }
}
