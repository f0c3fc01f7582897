using Microsoft.AspNetCore.Builder;

namespace Gateway.Tests.Infrastructure;

/// <summary>The builder every test upstream starts from: a slim host that reads no configuration and watches no file.</summary>
internal static class UpstreamBuilder
{
    public static WebApplicationBuilder Create()
    {
        // The slim builder adds appsettings.json with reload on, which is an inotify instance per upstream (128 per user
        // by default, shared by every test process on the machine) watching the test output folder; turn it off at the
        // source, then drop the sources: the folder holds the gateway's appsettings.json, whose Kestrel:Endpoints
        // (8080, 8081) Kestrel would bind as well. An upstream listens on its one free port and reads nothing.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.Sources.Clear();
        return builder;
    }
}
