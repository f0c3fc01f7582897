using CsCheck;
using Gateway.GraphQL;

namespace Gateway.Tests.Fuzzing;

/// <summary>Documents built to sit just under or just over one of the <see cref="GraphQLLimits"/>, by construction.</summary>
public static class GraphQLSizeGenerators
{
    private static readonly Argument[] NoArguments = [];
    private static readonly Directive[] NoDirectives = [];

    /// <summary>A chain of 15 to 24 nested fields, some wrapped in inline fragments, split across 0 to 3 fragments.</summary>
    public static readonly Gen<GraphQLDoc> Deep =
        from depth in Gen.Int[GraphQLLimits.DefaultMaxDepth - 5, GraphQLLimits.DefaultMaxDepth + 4]
        from hops in Gen.Int[0, 3]
        from inlineEvery in Gen.Int[0, 7]
        from aliased in Gen.Bool
        from kind in Gen.Enum<OperationKind>()
        from noise in Gen.Int
        select Chain(depth, hops, inlineEvery, aliased, kind, noise);

    /// <summary>A document of <paramref name="min"/> to <paramref name="max"/> aliases, split over the operation and up to 3 fragments.</summary>
    public static Gen<GraphQLDoc> Aliased(int min, int max) =>
        from count in Gen.Int[min, max]
        from parts in Gen.Int[1, 4]
        from kind in Gen.Enum<OperationKind>()
        from noise in Gen.Int
        select ManyAliases(count, parts, kind, noise);

    /// <summary>A document of about 9,900 to 10,100 tokens (the renderer counts them exactly, comments included).</summary>
    public static readonly Gen<GraphQLDoc> TokenHeavy =
        from fields in Gen.Int[GraphQLLimits.DefaultMaxTokens - 130, GraphQLLimits.DefaultMaxTokens + 70]
        from kind in Gen.Enum<OperationKind>()
        from noise in Gen.Int
        select new GraphQLDoc(
            [new Operation(kind, null, [], NoDirectives, Enumerable.Range(0, fields).Select(i => Field(null, i % 2 == 0 ? "a" : "b", null)).ToArray())],
            [], [0], noise);

    private static GraphQLDoc Chain(int depth, int hops, int inlineEvery, bool aliased, OperationKind kind, int noise)
    {
        // Built from the innermost field out. The chain's levels are cut into hops + 1 parts: the top part is in the
        // operation, part k in fragment F(k-1), and each part ends with a spread of the next fragment.
        var fragments = new Fragment[hops];
        var partLength = Math.Max(1, depth / (hops + 1));
        Selection[]? below = null;
        for (var level = depth; level >= 1; level--)
        {
            Selection selection = Field(aliased && level % 3 == 0 ? "x" + level : null, "f" + level, below);
            if (inlineEvery > 0 && level % inlineEvery == 0)
            {
                selection = new InlineFragment(level % 2 == 0 ? "T" : null, NoDirectives, [selection]);
            }

            below = [selection, Field(null, "leaf", null)];
            var part = (level - 1) / partLength;
            if (level > 1 && (level - 1) % partLength == 0 && part <= hops && part >= 1)
            {
                fragments[part - 1] = new Fragment("T", NoDirectives, below);
                below = [new FragmentSpread(part - 1, NoDirectives)];
            }
        }

        var used = fragments.TakeWhile(fragment => fragment is not null).Count();
        var operation = new Operation(kind, "Deep", [], NoDirectives, below!);
        return new GraphQLDoc([operation], fragments[..used], Enumerable.Range(0, 1 + used).Reverse().ToArray(), noise);
    }

    private static GraphQLDoc ManyAliases(int count, int parts, OperationKind kind, int noise)
    {
        var fragments = new Fragment[parts - 1];
        var perPart = count / parts;
        for (var i = 0; i < fragments.Length; i++)
        {
            fragments[i] = new Fragment("T", NoDirectives, Enumerable.Range(0, perPart).Select(n => Field($"a{i}_{n}", "f", null)).ToArray());
        }

        var own = Enumerable.Range(0, count - perPart * fragments.Length).Select(n => Field($"o{n}", "f", null));
        var spreads = Enumerable.Range(0, fragments.Length).Select(i => (Selection)new FragmentSpread(i, NoDirectives));
        var operation = new Operation(kind, null, [], NoDirectives, own.Concat(spreads).ToArray());
        return new GraphQLDoc([operation], fragments, Enumerable.Range(0, parts).ToArray(), noise);
    }

    private static Selection Field(string? alias, string name, Selection[]? children) =>
        new FieldSelection(alias, name, NoArguments, NoDirectives, children);
}
