using Gateway.Cli;
using Gateway.Hosting;

if (args.Contains(HealthProbe.Flag))
{
    return await HealthProbe.RunAsync(Environment.GetEnvironmentVariable("Kestrel__Endpoints__Admin__Url"));
}

if (KeysCli.Handles(args))
{
    return await KeysCli.RunCommandLineAsync(args, Console.Out, Console.Error);
}

// The default appsettings sources are replaced by THE config file (UseGatewayConfigFile), which is watched on its own;
// built with reload on, each would leave a watcher on the content root and every folder below it for the process's life.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.AddGateway();

var app = builder.Build();
app.MapGateway();
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
