using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Enforcement;
using Gateway.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HotPath;

/// <summary>
/// What the gateway adds to a GraphQL POST beyond what bare YARP does with the body: buffer it (from a pipe that
/// already holds it, as Kestrel's does for a body sent with its headers), put it back for the proxy, classify it,
/// and the proxy reading it out. <see cref="Bare"/> does only the last step on the original body, so
/// <c>Gateway - Bare</c> is the gateway's own cost per request. Documents: the wrk cases graphql-post and
/// graphql-aliases.
/// </summary>
[MemoryDiagnoser]
public class GraphQLBodyPathBenchmarks
{
    private readonly byte[] _sink = new byte[16 * 1024];
    private byte[] _body = [];
    private GraphQLBodyReader _reader = null!;
    private ServiceProvider? _services;
    private KeyScopesOptions _options = null!;

    [Params("graphql-post", "graphql-aliases")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string query = Case == "graphql-post"
            ? "query Bench($id: String!) { myself { id email pods(input: {podId: $id}) { id name desiredStatus "
              + string.Join(" ", Enumerable.Range(1, 80).Select(i => $"field{i:D3}")) + " runtime { uptimeInSeconds gpus { id gpuUtilPercent } } } } }"
            : "query Aliases { " + string.Join(" ", Enumerable.Range(0, 40).Select(i => $"a{i}: myself {{ id email }}")) + " }";
        string operation = Case == "graphql-post" ? "\",\"operationName\":\"Bench\",\"variables\":{\"id\":\"pod-123\"}}" : "\",\"operationName\":\"Aliases\"}";
        _body = Encoding.UTF8.GetBytes("{\"query\":\"" + query + operation);
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _options = new KeyScopesOptions();
        var monitor = new FixedOptions(_options);
        var budget = new GraphQLBodyBudget(monitor, new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        _reader = new GraphQLBodyReader(budget, monitor, TimeProvider.System);
        if (Gateway() != _body.Length)
        {
            throw new InvalidOperationException("the body was not forwarded whole");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();

    [Benchmark(Baseline = true)]
    public int Bare() => Drain(Request().Request.Body);

    [Benchmark]
    public int Gateway()
    {
        var context = Request();
        var (body, refusal) = _reader.ReadAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
        if (body is null)
        {
            throw new InvalidOperationException($"refused: {refusal}");
        }

        GraphQLBodyReader.Replace(context, body);
        var verdict = GraphQLBodyClassification.Classify(body, json: true, _options.GraphQLLimits);
        int forwarded = verdict.IsRefused ? throw new InvalidOperationException(verdict.Detail) : Drain(context.Request.Body);
        body.Dispose();
        return forwarded;
    }

    // A request whose body is already buffered, read through the pipe (BodyReader) or its stream (Body).
    private DefaultHttpContext Request()
    {
        var context = new DefaultHttpContext();
        var pipe = PipeReader.Create(new ReadOnlySequence<byte>(_body));
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = _body.Length;
        context.Request.Body = pipe.AsStream();
        context.Features.Set<IRequestBodyPipeFeature>(new BodyPipe(pipe));
        return context;
    }

    private int Drain(Stream stream)
    {
        int total = 0, read;
        while ((read = stream.Read(_sink)) > 0)
        {
            total += read;
        }

        return total;
    }

    private sealed class BodyPipe(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }

    private sealed class FixedOptions(KeyScopesOptions value) : IOptionsMonitor<KeyScopesOptions>
    {
        public KeyScopesOptions CurrentValue => value;

        public KeyScopesOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<KeyScopesOptions, string?> listener) => null;
    }
}
