using Gateway.Cli;
using Gateway.Hosting;

if (args.Contains(HealthProbe.Flag))
{
    return await HealthProbe.RunAsync(Environment.GetEnvironmentVariable("Kestrel__Endpoints__Admin__Url"));
}

if (args.Length > 0 && args[0] == KeysCli.Command)
{
    return await KeysCli.RunAsync(args[1..], Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddGateway();

var app = builder.Build();
app.MapGateway();
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
