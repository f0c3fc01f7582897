using System.Buffers;
using System.Text;
using System.Text.Unicode;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;

namespace Gateway.GraphQL;

/// <summary>
/// Stage B of GraphQL over HTTP: reads the request and says which level it needs. Pure and
/// thread-safe; never throws for any input.
/// </summary>
public static class GraphQLClassifier
{
    // The parser recurses per AST node; past this depth it throws instead of overflowing the
    // stack. 128 is the library's own default, spelled out so an upgrade cannot raise it.
    internal const int MaxDocumentDepth = 128;

    // GraphQL-Parser 9.5.1 formats every syntax error with a caret line that it pads one space at
    // a time: O(column²) time and memory (a 64 Ki column allocates 4 GB; a 1 MiB one-line body,
    // about 1 TB). The column counts from the last \r or \n, so no line longer than this is ever
    // given to it (at 4 Ki: about 16 MB of short-lived strings at worst). A document with a longer
    // line (minified, or padded) is lexed in linear time by GraphQLLongLines, and the parser gets a
    // copy of its tokens, one per line, each short: the same document, with no long line.
    internal const int MaxParserLineLength = 4 * 1024;

    private static readonly SearchValues<char> s_lineBreaks = SearchValues.Create("\r\n");

    // Line breaks outside the spec's \n and \r: graphql-java's grammar (and other ANTLR-based lexers) ends a comment
    // at U+2028 or U+2029, and Java regexes break lines at U+0085 too, so "query A{a} #\u2028mutation B{b}" would be one
    // query here and a query and a mutation there (operationName B runs the mutation). Refused wherever they appear.
    private static readonly SearchValues<char> s_foreignLineBreaks = SearchValues.Create("\u0085\u2028\u2029");

    // Comments and locations are never looked at; ignoring them keeps the AST small.
    private static readonly ParserOptions s_parserOptions = new()
    {
        Ignore = IgnoreOptions.All,
        MaxDepth = MaxDocumentDepth,
    };

    /// <summary>A POST <c>application/json</c> body: one request object or a non-empty array of them.</summary>
    public static GraphQLVerdict ClassifyJsonBody(ReadOnlySpan<byte> utf8Body) =>
        ClassifyJsonBody(utf8Body, GraphQLLimits.Default);

    /// <inheritdoc cref="ClassifyJsonBody(ReadOnlySpan{byte})"/>
    /// <param name="accepted">Documents accepted before, answered without a parse (see <see cref="AcceptedDocuments"/>); null parses every one.</param>
    public static GraphQLVerdict ClassifyJsonBody(ReadOnlySpan<byte> utf8Body, GraphQLLimits limits, AcceptedDocuments? accepted = null) =>
        GraphQLJsonRequestReader.Classify(utf8Body, limits, accepted);

    /// <summary>A POST <c>application/graphql</c> body: the body is the document.</summary>
    public static GraphQLVerdict ClassifyDocumentBody(ReadOnlySpan<byte> utf8Body) =>
        ClassifyDocumentBody(utf8Body, GraphQLLimits.Default);

    /// <inheritdoc cref="ClassifyDocumentBody(ReadOnlySpan{byte})"/>
    public static GraphQLVerdict ClassifyDocumentBody(ReadOnlySpan<byte> utf8Body, GraphQLLimits limits, AcceptedDocuments? accepted = null)
    {
        // A leading BOM is skipped, as for JSON bodies (see GraphQLJsonRequestReader); the GraphQL
        // grammar itself treats U+FEFF as ignorable.
        utf8Body = GraphQLJsonRequestReader.SkipBom(utf8Body);
        if (!Utf8.IsValid(utf8Body))
        {
            return GraphQLVerdict.Invalid("body is not valid UTF-8");
        }

        var budget = new GraphQLBudget(limits, utf8Body.Length, accepted);
        return ClassifyDocument(Encoding.UTF8.GetString(utf8Body), ref budget, out _);
    }

    /// <summary>The document of a GET <c>?query=</c>. A mutation is refused: GET must stay safe.</summary>
    public static GraphQLVerdict ClassifyGet(string query) => ClassifyGet(query, GraphQLLimits.Default);

    /// <inheritdoc cref="ClassifyGet(string)"/>
    public static GraphQLVerdict ClassifyGet(string query, GraphQLLimits limits, AcceptedDocuments? accepted = null)
    {
        var budget = new GraphQLBudget(limits, query?.Length ?? 0, accepted);
        GraphQLVerdict verdict = ClassifyDocument(query, ref budget, out bool hasMutation);
        return !verdict.IsRefused && hasMutation
            ? GraphQLVerdict.MethodNotAllowed("mutations are not allowed over GET; use POST")
            : verdict;
    }

    /// <summary>
    /// Classifies every operation of a document: <c>query</c> and <c>subscription</c> need Read,
    /// <c>mutation</c> needs ReadWrite. An operation name is never used to pick one operation:
    /// the gateway cannot know which operation the upstream will run, so all of them count.
    /// </summary>
    public static GraphQLVerdict ClassifyDocument(string document) => ClassifyDocument(document, GraphQLLimits.Default);

    /// <inheritdoc cref="ClassifyDocument(string)"/>
    public static GraphQLVerdict ClassifyDocument(string document, GraphQLLimits limits, AcceptedDocuments? accepted = null)
    {
        var budget = new GraphQLBudget(limits, document?.Length ?? 0, accepted);
        return ClassifyDocument(document, ref budget, out _);
    }

    /// <summary>One document of a request, spending the request's shared <paramref name="budget"/>.</summary>
    internal static GraphQLVerdict ClassifyDocument(string? document, ref GraphQLBudget budget, out bool hasMutation)
    {
        hasMutation = false;
        if (document is null)
        {
            return GraphQLVerdict.Invalid("the GraphQL document is missing");
        }

        // A document accepted before is answered without a parse, but spends the budget and meets the limits in force
        // exactly as it would parsed; one that is now too deep takes the full path and is refused there.
        // Tokens are known only when the request that cached the document counted them; a request that must count
        // tokens and meets an entry without them takes the full path.
        if (budget.Accepted is { } accepted && accepted.TryGet(document, out var facts) && facts.Depth <= budget.Limits.MaxDepth
            && (!budget.CountsTokens || facts.Tokens >= 0))
        {
            if (budget.CountsTokens && (budget.Tokens -= facts.Tokens) < 0)
            {
                return GraphQLVerdict.Invalid(GraphQLDocumentShape.TooManyTokens(budget.Limits));
            }

            if ((budget.Aliases -= facts.Aliases) < 0)
            {
                return GraphQLVerdict.Invalid(GraphQLDocumentShape.TooManyAliases(budget.Limits));
            }

            hasMutation = facts.HasMutation;
            return GraphQLVerdict.Allow(hasMutation ? GraphQLNeed.ReadWrite : GraphQLNeed.Read);
        }

        if (document.AsSpan().ContainsAny(s_foreignLineBreaks))
        {
            return GraphQLVerdict.Invalid(
                "the GraphQL document holds U+0085, U+2028 or U+2029, which some servers read as line breaks; write it as an escape in a string or pass it as a variable");
        }

        GraphQLDocument? parsed;
        int tokensBefore = budget.Tokens;
        if (HasLongLine(document))
        {
            if (GraphQLLongLines.Parse(document, ref budget, s_parserOptions, out parsed) is { } refusal)
            {
                return GraphQLVerdict.Invalid(refusal);
            }
        }
        else if (Parse(document, ref budget, out parsed) is { } refusal)
        {
            return GraphQLVerdict.Invalid(refusal);
        }

        bool hasOperation = false;
        foreach (ASTNode definition in parsed!.Definitions)
        {
            switch (definition)
            {
                case GraphQLOperationDefinition operation:
                    hasOperation = true;
                    hasMutation |= operation.Operation == OperationType.Mutation;
                    break;
                case GraphQLFragmentDefinition:
                    break;
                default:
                    // Type-system definitions and extensions are not executable (spec §6.1); an
                    // upstream that accepted them would be doing something no scope describes.
                    return GraphQLVerdict.Invalid($"only operations and fragments are allowed, found {definition.Kind}");
            }
        }

        if (!hasOperation)
        {
            return GraphQLVerdict.Invalid("the GraphQL document has no operation");
        }

        if (GraphQLDocumentShape.Check(parsed, ref budget, out var depth, out var aliases) is { } tooLarge)
        {
            return GraphQLVerdict.Invalid(tooLarge);
        }

        if (budget.Accepted is { } toKeep && document.Length <= toKeep.MaxLength)
        {
            // Counted tokens are kept; uncounted ones (a short input cannot exceed the limit) are not worked out here.
            toKeep.Add(document, new DocumentFacts(hasMutation, depth, aliases, budget.CountsTokens ? tokensBefore - budget.Tokens : -1));
        }

        return GraphQLVerdict.Allow(hasMutation ? GraphQLNeed.ReadWrite : GraphQLNeed.Read);
    }

    private static string? Parse(string document, ref GraphQLBudget budget, out GraphQLDocument? parsed)
    {
        parsed = null;
        try
        {
            // Tokens are counted before the parse, which costs about twice the lexing and allocates the AST: a
            // document over the limit costs the lexing of the limit's worth of tokens and no more.
            if (GraphQLDocumentShape.SpendTokens(document, ref budget) is { } tooMany)
            {
                return tooMany;
            }

            parsed = Parser.Parse(document, s_parserOptions);
            return null;
        }
        catch (GraphQLMaxDepthExceededException)
        {
            return "the GraphQL document nests too deeply";
        }
        catch (GraphQLParserException ex)
        {
            // Description can quote the offending token, hence Echo; line and column are numbers.
            return $"the GraphQL document does not parse at {ex.Location.Line}:{ex.Location.Column}: {GraphQLVerdict.Echo(ex.Description)}";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fails closed: whatever else the third-party parser throws, a document the gateway
            // cannot read is refused, never forwarded unjudged, and the caller never sees a throw.
            // Seen in 9.5.1: a syntax error after a bare \r line break throws
            // IndexOutOfRangeException while the library formats its own error message.
            return "the GraphQL document does not parse";
        }
    }

    private static bool HasLongLine(ReadOnlySpan<char> document)
    {
        while (document.Length > MaxParserLineLength)
        {
            int lineBreak = document.IndexOfAny(s_lineBreaks);
            if (lineBreak < 0 || lineBreak > MaxParserLineLength)
            {
                return true;
            }

            document = document[(lineBreak + 1)..];
        }

        return false;
    }
}
