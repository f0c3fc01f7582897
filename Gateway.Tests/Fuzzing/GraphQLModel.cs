namespace Gateway.Tests.Fuzzing;

// A GraphQL executable document as a model: what it holds (which operation types, how deep, how many aliases) is
// known from the model itself, by construction, never from the gateway's classifier.

public enum OperationKind
{
    Query,
    Mutation,
    Subscription,
}

public abstract record Selection;

public sealed record FieldSelection(string? Alias, string Name, Argument[] Arguments, Directive[] Directives, Selection[]? Children) : Selection;

public sealed record InlineFragment(string? TypeCondition, Directive[] Directives, Selection[] Children) : Selection;

/// <summary>A spread of fragment <c>F{Fragment}</c>; fragments only spread higher-numbered ones, so there is no cycle.</summary>
public sealed record FragmentSpread(int Fragment, Directive[] Directives) : Selection;

public sealed record Argument(string Name, Value Value);

public sealed record Directive(string Name, Argument[] Arguments);

/// <summary>A value, kept as the exact source text the renderer writes (strings already escaped).</summary>
public sealed record Value(string Kind, string? Text, Value[]? Items = null, Argument[]? Fields = null);

public sealed record VariableDefinition(string Name, string Type, Value? Default);

public sealed record Operation(OperationKind Kind, string? Name, VariableDefinition[] Variables, Directive[] Directives, Selection[] Selections)
{
    /// <summary>Whether it may be written as a bare selection set (an anonymous query with nothing else).</summary>
    public bool CanBeShorthand => Kind == OperationKind.Query && Name is null && Variables.Length == 0 && Directives.Length == 0;
}

public sealed record Fragment(string TypeCondition, Directive[] Directives, Selection[] Selections);

/// <summary>
/// A document: its operations and fragments (<c>F0</c>, <c>F1</c>, ...), written in <see cref="Order"/> (indexes
/// below the operation count are operations, the rest fragments), with ignored tokens chosen by <see cref="NoiseSeed"/>.
/// </summary>
public sealed record GraphQLDoc(Operation[] Operations, Fragment[] Fragments, int[] Order, int NoiseSeed)
{
    public bool HasMutation => Operations.Any(operation => operation.Kind == OperationKind.Mutation);

    /// <summary>Fields nested in one another, through fragment spreads: the model's own count.</summary>
    public int Depth
    {
        get
        {
            var memo = new int?[Fragments.Length];
            int Of(Selection[]? selections) => selections is null ? 0 : selections.Select(OfOne).DefaultIfEmpty(0).Max();
            int OfOne(Selection selection) => selection switch
            {
                FieldSelection f => 1 + Of(f.Children),
                InlineFragment inline => Of(inline.Children),
                FragmentSpread spread => memo[spread.Fragment] ??= Of(Fragments[spread.Fragment].Selections),
                _ => throw new InvalidOperationException(),
            };

            return Operations.Select(operation => Of(operation.Selections))
                .Concat(Fragments.Select(fragment => Of(fragment.Selections)))
                .Max();
        }
    }

    /// <summary>Aliased fields as written (a fragment's count once, however often it is spread).</summary>
    public int Aliases
    {
        get
        {
            int Of(Selection[]? selections) => selections?.Sum(selection => selection switch
            {
                FieldSelection f => (f.Alias is null ? 0 : 1) + Of(f.Children),
                InlineFragment inline => Of(inline.Children),
                _ => 0,
            }) ?? 0;

            return Operations.Sum(operation => Of(operation.Selections)) + Fragments.Sum(fragment => Of(fragment.Selections));
        }
    }
}

/// <summary>What a document, or a request of several, holds: its known need and its size against the limits.</summary>
public readonly record struct Holds(bool HasMutation, int MaxDepth, int Tokens, int Aliases)
{
    public static Holds Nothing => new(false, 0, 0, 0);

    public static Holds Of(GraphQLDoc doc, int tokens) => new(doc.HasMutation, doc.Depth, tokens, doc.Aliases);

    public Holds And(Holds other) =>
        new(HasMutation || other.HasMutation, Math.Max(MaxDepth, other.MaxDepth), Tokens + other.Tokens, Aliases + other.Aliases);

    public bool OverLimits(Gateway.GraphQL.GraphQLLimits limits) =>
        MaxDepth > limits.MaxDepth || Tokens > limits.MaxTokens || Aliases > limits.MaxAliases;
}
