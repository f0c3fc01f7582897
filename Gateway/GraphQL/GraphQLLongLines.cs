using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;

namespace Gateway.GraphQL;

/// <summary>
/// Parses a document with a line longer than <see cref="GraphQLClassifier.MaxParserLineLength"/> without handing
/// that line to GraphQL-Parser, whose error path costs time and memory quadratic in the error's column. The document
/// is lexed here (<see cref="GraphQLSpecLexer"/>, linear, spending the token budget), and the parser gets a copy
/// with one token per line in which every token is short: a string is <c>""</c>, a number <c>0</c> or <c>0.0</c>, a
/// name longer than <see cref="MaxCopiedName"/> a fixed-length stand-in, and comments are left out. The copy has the
/// same operations, fields, aliases, fragments and nesting as the document, so classifying it classifies the
/// document; and whatever the parser does with it, no column it reports is past <see cref="MaxCopiedName"/> + 1.
/// </summary>
internal static class GraphQLLongLines
{
    internal const int MaxCopiedName = 128;

    /// <summary>Returns null and the parsed copy, or a client-safe refusal detail.</summary>
    public static string? Parse(string document, ref GraphQLBudget budget, ParserOptions options, out GraphQLDocument? parsed)
    {
        parsed = null;
        if (Rewrite(document, ref budget, out string? refusal) is not { } copy)
        {
            return refusal;
        }

        try
        {
            parsed = Parser.Parse(copy, options);
            return null;
        }
        catch (GraphQLMaxDepthExceededException)
        {
            return "the GraphQL document nests too deeply";
        }
        catch (GraphQLParserException ex)
        {
            // Line n of the copy is the document's n-th token (comments aside); the description may name a stand-in.
            return NotParsing(document, StartOfToken(document, ex.Location.Line - 1), ex.Description);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fails closed, as for every other document: what the parser cannot read is refused, never forwarded.
            return "the GraphQL document does not parse";
        }
    }

    /// <summary>The copy the parser is given, or null and why the document is refused.</summary>
    internal static string? Rewrite(string document, ref GraphQLBudget budget, out string? refusal)
    {
        var lexer = new GraphQLSpecLexer(document);
        var copy = new StringBuilder();
        while (lexer.Next())
        {
            // Comments are tokens too (as GraphQL-Parser's lexer counts them), so a wall of comments is no cheaper.
            if (budget.CountsTokens && --budget.Tokens < 0)
            {
                refusal = GraphQLDocumentShape.TooManyTokens(budget.Limits);
                return null;
            }

            ReadOnlySpan<char> token = document.AsSpan(lexer.Start, lexer.End - lexer.Start);
            switch (lexer.Kind)
            {
                case SpecTokenKind.Comment:
                    continue;
                case SpecTokenKind.String:
                    copy.Append("\"\"");
                    break;
                case SpecTokenKind.Int:
                    copy.Append('0');
                    break;
                case SpecTokenKind.Float:
                    copy.Append("0.0");
                    break;
                case SpecTokenKind.Name when token.Length > MaxCopiedName:
                    copy.Append(StandIn(token));
                    break;
                default:
                    copy.Append(token);
                    break;
            }

            copy.Append('\n');
        }

        if (lexer.Error is { } error)
        {
            refusal = NotParsing(document, lexer.Start, error);
            return null;
        }

        refusal = null;
        return copy.ToString();
    }

    // One stand-in per distinct name, so fragment spreads still find their fragment. Should two long names ever share
    // one, their fragments merge and the deeper counts: the depth found can only grow, and no operation type changes.
    private static string StandIn(ReadOnlySpan<char> name) =>
        "_" + Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(name)));

    // Where the index-th token other than a comment starts; the end of the document when there are fewer.
    private static int StartOfToken(string document, int index)
    {
        var lexer = new GraphQLSpecLexer(document);
        while (lexer.Next())
        {
            if (lexer.Kind != SpecTokenKind.Comment && index-- == 0)
            {
                return lexer.Start;
            }
        }

        return document.Length;
    }

    private static string NotParsing(string document, int offset, string description)
    {
        // Line and column as the spec counts them: \r\n is one line terminator, columns from 1.
        int line = 1, lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (document[i] == '\n' || (document[i] == '\r' && (i + 1 >= document.Length || document[i + 1] != '\n')))
            {
                line++;
                lineStart = i + 1;
            }
        }

        return $"the GraphQL document does not parse at {line}:{offset - lineStart + 1}: {GraphQLVerdict.Echo(description)}";
    }
}
