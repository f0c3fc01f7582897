using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gateway.GraphQL;

namespace HotPath;

/// <summary>
/// What a hostile GraphQL body of about 1 MiB (the body limit) costs before it is refused: the size limits (depth,
/// tokens, aliases) refuse it before or instead of a full parse, and a syntax error at the end of a 1 MiB line (which
/// GraphQL-Parser's error path would take minutes and about a terabyte to report) is found by the linear lexer or in
/// the short-line copy (GraphQLLongLines). Each benchmark checks that the body is refused; OneLongLineValid is the
/// accepted document of the same shape, for comparison.
/// </summary>
[MemoryDiagnoser]
public class HostileGraphQLBenchmarks
{
    private const int Size = 1_000_000;
    private byte[] _manyNames = [];
    private byte[] _manyAliases = [];
    private byte[] _deep = [];
    private byte[] _comments = [];
    private byte[] _unterminatedString = [];
    private byte[] _errorAtLineEnd = [];
    private byte[] _oneLongLineValid = [];

    [GlobalSetup]
    public void Setup()
    {
        // One field name per line: about 140,000 tokens.
        _manyNames = Body("{ " + string.Concat(Enumerable.Repeat("abcdef\n", Size / 7)) + "}");
        // Aliases: far over 1,000.
        _manyAliases = Body("{ " + string.Join("\n", Enumerable.Range(0, Size / 12).Select(i => $"a{i}: f")) + " }");
        // Nested selections: far deeper than 20.
        _deep = Body(string.Concat(Enumerable.Repeat("{ a ", 5000)) + string.Concat(Enumerable.Repeat("}", 5000)));
        // Comments: tokens too (the lexer reads every one).
        _comments = Body("{ a }\n" + string.Concat(Enumerable.Repeat("# a comment line that costs lexing\n", Size / 36)));
        // One line: a string that never ends, and a parse error after 1 MB of blanks.
        _unterminatedString = Body("{ a(s: \"" + new string('x', Size));
        _errorAtLineEnd = Body("{ a " + new string(' ', Size) + "!");
        _oneLongLineValid = Body("{ a " + new string(' ', Size) + "}");
        if (GraphQLClassifier.ClassifyJsonBody(_oneLongLineValid).IsRefused)
        {
            throw new InvalidOperationException("the valid one-line body was refused");
        }
    }

    [Benchmark]
    public GraphQLVerdict ManyNames() => Refused(_manyNames);

    [Benchmark]
    public GraphQLVerdict ManyAliases() => Refused(_manyAliases);

    [Benchmark]
    public GraphQLVerdict DeepNesting() => Refused(_deep);

    [Benchmark]
    public GraphQLVerdict ManyComments() => Refused(_comments);

    [Benchmark]
    public GraphQLVerdict OneLineUnterminatedString() => Refused(_unterminatedString);

    [Benchmark]
    public GraphQLVerdict OneLineErrorAtTheEnd() => Refused(_errorAtLineEnd);

    [Benchmark]
    public GraphQLVerdict OneLongLineValid() => GraphQLClassifier.ClassifyJsonBody(_oneLongLineValid);

    private static GraphQLVerdict Refused(byte[] body)
    {
        var verdict = GraphQLClassifier.ClassifyJsonBody(body);
        return verdict.IsRefused ? verdict : throw new InvalidOperationException("a hostile body was accepted");
    }

    private static byte[] Body(string query) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query }));
}
