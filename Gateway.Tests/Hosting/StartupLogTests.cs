using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Hosting;

/// <summary>
/// A start with a store configured says nothing an operator must act on: the framework's warnings (Data Protection's
/// "No XML encryptor configured" among them) are gone because the gateway configures what they warn about.
/// </summary>
public sealed class StartupLogTests(GatewayTest.Parts parts) : GatewayTest(parts), IDisposable
{
    // Where Data Protection would keep its key ring were it used: a fresh folder, so a key made on this start would show
    // (the default folder under the user's profile may hold one from an earlier run, and then nothing is logged).
    private readonly DirectoryInfo _keyRing = Directory.CreateTempSubdirectory("gateway-dp-");

    protected override void ConfigureLogging(ILoggingBuilder logging) => logging.AddFakeLogging();

    // Not AddDataProtection(): that would register the framework's services again over the gateway's choice.
    protected override void ConfigureServices(IServiceCollection services) =>
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = new FileSystemXmlRepository(_keyRing, NullLoggerFactory.Instance));

    public void Dispose() => _keyRing.Delete(recursive: true);

    [Fact]
    public async Task Start_WithAStore_LogsNoWarning()
    {
        // A request through each listener, so what is created lazily on first use (Data Protection's key ring,
        // YARP's forwarders) has logged what it would log.
        using var ready = await Host.Admin.GetAsync("/readyz");
        Assert.True(ready.IsSuccessStatusCode);
        using var proxied = await Host.Proxy.GetAsync("/v2/abc/run");
        Assert.Equal(401, (int)proxied.StatusCode);

        var warnings = Host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot()
            .Where(record => record.Level >= LogLevel.Warning)
            .Select(record => $"{record.Category}: {record.Message}")
            .ToList();
        Assert.Empty(warnings);
        Assert.Empty(_keyRing.EnumerateFileSystemInfos());
    }
}
