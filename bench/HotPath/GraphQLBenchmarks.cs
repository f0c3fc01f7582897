using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gateway.GraphQL;

namespace HotPath;

/// <summary>
/// Classification of a POST <c>application/json</c> GraphQL body of about 1 KB: strict JSON reading, then the
/// document parsed and every operation classified. This runs only on GraphQL routes, after the key is judged.
/// </summary>
[MemoryDiagnoser]
public class GraphQLBenchmarks
{
    // A realistic management query: variables, a fragment, nested selections, arguments.
    private const string Query = """
        query EndpointOverview($id: String!, $first: Int = 20, $after: String) {
          myself {
            id
            email
            serverlessDiscount { discountFactor type expirationDate }
            endpoints(first: $first, after: $after, filter: { id: $id }) {
              ...EndpointFields
              template { id name imageName containerDiskInGb env { key value } }
              workers { id desiredStatus lastStatusChange machine { gpuDisplayName location } }
            }
          }
        }

        fragment EndpointFields on Endpoint {
          id
          name
          gpuIds
          idleTimeout
          locations
          networkVolumeId
          scalerType
          scalerValue
          workersMax
          workersMin
          pods { id desiredStatus runtime { uptimeInSeconds gpus { id gpuUtilPercent memoryUtilPercent } } }
          jobs(status: [IN_QUEUE, IN_PROGRESS], first: 10) { id status executionTime delayTime input output }
          metrics(window: LAST_24H) { requests completed failed retried averageExecutionMs p95ExecutionMs }
        }
        """;

    // More distinct bodies than the classifier keeps accepted documents, so each one is parsed when it comes round.
    private const int UnseenCount = 4096;

    private byte[] _body = [];
    private byte[][] _unseen = [];
    private int _next;
    private byte[] _mutationBody = [];
    private byte[] _aliasesBody = [];

    // The gateway's table of accepted documents, at its default size, as AddGateway registers it.
    private readonly AcceptedDocuments _accepted = new(new GraphQLDocumentCacheOptions().MaxEntries, new GraphQLDocumentCacheOptions().MaxDocumentLength);

    [GlobalSetup]
    public void Setup()
    {
        _body = Body(Query);
        // The same query with a different trailing comment: another document to the gateway, the same work to parse.
        _unseen = Enumerable.Range(0, UnseenCount).Select(i => Body($"{Query}\n# {i:D4}")).ToArray();
        _mutationBody = Encoding.UTF8.GetBytes("""
            {"query":"mutation SaveEndpoint($input: EndpointInput!) { saveEndpoint(input: $input) { id name gpuIds workersMin workersMax } }",
             "operationName":"SaveEndpoint",
             "variables":{"input":{"id":"abc123","name":"bench","gpuIds":"AMPERE_16","workersMin":0,"workersMax":3,"idleTimeout":5}}}
            """);
        // bench/wrk/graphql-aliases.lua's body: 40 aliased fields, about 1 KB.
        _aliasesBody = Encoding.UTF8.GetBytes("{\"query\":\"query Aliases { "
            + string.Join(" ", Enumerable.Range(0, 40).Select(i => $"a{i}: myself {{ id email }}")) + " }\",\"operationName\":\"Aliases\"}");
        if (_body.Length is < 900 or > 1300)
        {
            throw new InvalidOperationException($"The query body is {_body.Length} bytes; the benchmark wants about 1 KB.");
        }

        if (ClassifyQuery1KB().Need != GraphQLNeed.Read || ClassifyUnseenQuery1KB().Need != GraphQLNeed.Read
            || ClassifyMutation().Need != GraphQLNeed.ReadWrite || ClassifyAliases40().Need != GraphQLNeed.Read)
        {
            throw new InvalidOperationException("The benchmark bodies did not classify as expected.");
        }

        Console.WriteLine($"// GraphQL query body: {_body.Length} bytes; mutation body: {_mutationBody.Length} bytes");
    }

    private static byte[] Body(string query) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        query,
        operationName = "EndpointOverview",
        variables = new { id = "abc123", first = 20, after = (string?)null },
    });

    /// <summary>The same body every time, as a client repeating its queries sends it.</summary>
    [Benchmark(Baseline = true)]
    public GraphQLVerdict ClassifyQuery1KB() => GraphQLClassifier.ClassifyJsonBody(_body, GraphQLLimits.Default, _accepted);

    /// <summary>A body whose document the classifier has not seen lately: the full parse.</summary>
    [Benchmark]
    public GraphQLVerdict ClassifyUnseenQuery1KB() => GraphQLClassifier.ClassifyJsonBody(_unseen[_next++ % UnseenCount], GraphQLLimits.Default, _accepted);

    /// <summary>The 40-alias body of the throughput case graphql-aliases, sent again and again.</summary>
    [Benchmark]
    public GraphQLVerdict ClassifyAliases40() => GraphQLClassifier.ClassifyJsonBody(_aliasesBody);

    [Benchmark]
    public GraphQLVerdict ClassifyMutation() => GraphQLClassifier.ClassifyJsonBody(_mutationBody, GraphQLLimits.Default, _accepted);
}
