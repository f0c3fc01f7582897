using System.Runtime.CompilerServices;
using GraphQLParser;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>
/// The size checks of <see cref="GraphQLLimits"/>: tokens before the document is parsed, field depth and aliases
/// after. Each returns null when the document fits, else a client-safe detail.
/// </summary>
internal static class GraphQLDocumentShape
{
    /// <summary>
    /// Lexes the document, spending one token of the budget per token, and stops as soon as the budget runs out, so
    /// a hostile document costs the lexing of at most the budget. Throws what the lexer throws on bad syntax.
    /// </summary>
    public static string? SpendTokens(string document, ref GraphQLBudget budget)
    {
        if (!budget.CountsTokens)
        {
            return null;
        }

        ROM source = document;
        int position = 0;
        while (true)
        {
            Token token = Lexer.Lex(source, position);
            if (token.Kind == TokenKind.EOF)
            {
                return null;
            }

            if (--budget.Tokens < 0)
            {
                return TooManyTokens(budget.Limits);
            }

            position = token.End;
        }
    }

    public static string TooManyTokens(GraphQLLimits limits) => $"the GraphQL request has more than {limits.MaxTokens} tokens";

    public static string TooManyAliases(GraphQLLimits limits) => $"the GraphQL request has more than {limits.MaxAliases} aliases";

    /// <summary>Field depth (through fragment spreads) and aliases of a parsed document.</summary>
    public static string? Check(GraphQLDocument document, ref GraphQLBudget budget) => Check(document, ref budget, out _, out _);

    /// <inheritdoc cref="Check(GraphQLDocument, ref GraphQLBudget)"/>
    public static string? Check(GraphQLDocument document, ref GraphQLBudget budget, out int maxDepth, out int aliases)
    {
        maxDepth = 0;
        aliases = 0;
        var walk = new Walk(document, budget.Limits.MaxDepth);
        foreach (ASTNode definition in document.Definitions)
        {
            int depth = definition switch
            {
                GraphQLOperationDefinition operation => walk.Depth(operation.SelectionSet),
                GraphQLFragmentDefinition fragment => walk.FragmentDepth(fragment.FragmentName.Name.Value),
                _ => 0,
            };
            if (walk.Refusal is { } refusal)
            {
                return refusal;
            }

            if (depth > budget.Limits.MaxDepth)
            {
                return $"the GraphQL document nests fields deeper than {budget.Limits.MaxDepth} levels";
            }

            maxDepth = Math.Max(maxDepth, depth);
        }

        aliases = walk.Aliases;
        budget.Aliases -= walk.Aliases;
        return budget.Aliases < 0 ? TooManyAliases(budget.Limits) : null;
    }

    /// <summary>
    /// One pass over a document. A fragment's depth is worked out once and remembered, so every selection is visited
    /// once however often its fragment is spread, and aliases are counted where they are written.
    /// </summary>
    private sealed class Walk(GraphQLDocument document, int maxDepth)
    {
        private const int InProgress = -1;
        // Names are compared as slices of the document (ROM compares content), so no string is made per name.
        private Dictionary<ROM, int>? _fragmentDepths;
        private Dictionary<ROM, List<GraphQLFragmentDefinition>>? _fragments;

        public int Aliases { get; private set; }

        public string? Refusal { get; private set; }

        public int Depth(GraphQLSelectionSet? selectionSet)
        {
            if (selectionSet is null || Refusal is not null)
            {
                return 0;
            }

            // The parser bounds the AST's depth, but fragment spreads chain past it; fails closed.
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                Refusal = "the GraphQL document's fragments nest too deeply";
                return 0;
            }

            int deepest = 0;
            foreach (ASTNode selection in selectionSet.Selections)
            {
                int depth = selection switch
                {
                    GraphQLField field => Field(field),
                    GraphQLInlineFragment inline => Depth(inline.SelectionSet),
                    GraphQLFragmentSpread spread => FragmentDepth(spread.FragmentName.Name.Value),
                    _ => 0,
                };
                deepest = Math.Max(deepest, depth);

                // Past the limit the answer is known; the rest need not be walked.
                if (deepest > maxDepth || Refusal is not null)
                {
                    break;
                }
            }

            return deepest;
        }

        public int FragmentDepth(ROM name)
        {
            _fragmentDepths ??= [];
            if (_fragmentDepths.TryGetValue(name, out int known))
            {
                if (known == InProgress)
                {
                    // A spread cycle has no depth (and is invalid GraphQL, spec §5.5.2.2); fails closed.
                    Refusal = $"the GraphQL document's fragment \"{GraphQLVerdict.Echo(name.Span)}\" spreads itself";
                    return 0;
                }

                return known;
            }

            _fragmentDepths[name] = InProgress;
            int deepest = 0;
            // Two fragments of one name are invalid too; the deeper one counts, as the upstream may use either.
            foreach (GraphQLFragmentDefinition fragment in Fragments(name))
            {
                deepest = Math.Max(deepest, Depth(fragment.SelectionSet));
            }

            _fragmentDepths[name] = deepest;
            return deepest;
        }

        private int Field(GraphQLField field)
        {
            if (field.Alias is not null)
            {
                Aliases++;
            }

            return 1 + Depth(field.SelectionSet);
        }

        // A spread of an unknown fragment adds nothing; the upstream refuses the document anyway.
        private List<GraphQLFragmentDefinition> Fragments(ROM name)
        {
            if (_fragments is null)
            {
                _fragments = [];
                foreach (ASTNode definition in document.Definitions)
                {
                    if (definition is GraphQLFragmentDefinition fragment)
                    {
                        ROM key = fragment.FragmentName.Name.Value;
                        if (!_fragments.TryGetValue(key, out List<GraphQLFragmentDefinition>? list))
                        {
                            _fragments[key] = list = [];
                        }

                        list.Add(fragment);
                    }
                }
            }

            return _fragments.TryGetValue(name, out List<GraphQLFragmentDefinition>? found) ? found : [];
        }
    }
}
