using CsCheck;

namespace Gateway.Tests.Fuzzing;

/// <summary>CsCheck generators of <see cref="GraphQLDoc"/> models: names chosen to confuse, every kind of selection and value.</summary>
public static class GraphQLGenerators
{
    // Keywords are ordinary names in most places: a field, alias, argument or operation may be called "mutation".
    private static readonly string[] Names = ["a", "node", "id", "mutation", "query", "subscription", "fragment", "on", "true", "null", "__typename", "Mutation", "x_1"];
    private static readonly string[] EnumValues = ["RED", "mutation", "query", "subscription", "on", "Mutation"];
    private static readonly string[] TypeNames = ["T", "Mutation", "Query", "mutation", "Subscription"];
    private static readonly string[] OperationNames = ["Q", "M", "mutation", "query", "subscription", "fragment", "S_1"];
    private static readonly string[] DirectiveNames = ["include", "skip", "mutation", "defer", "d"];

    // Pieces of a "..." string, each valid escaped source text: the string holds operation-like text, escapes
    // (\u006D is "m"), non-ASCII and a surrogate pair.
    private static readonly string[] StringPieces = ["mutation { x }", "\\\"", "\\\\", "\\u006D", "\\u0075tation", "\\n", "\\/", "é", "😀", "{", "}", "#", ",", " ", "\\\"\\\"\\\""];

    // Pieces of a """block string""", joined with spaces so no two quotes meet by accident; \""" is its one escape.
    private static readonly string[] BlockPieces = ["mutation { x }", "\\\"\"\"", "\n", "\r\n", "\\", "\"", "\"\"", "# not a comment", "é", "}", "{"];

    private static readonly Gen<string> Name = Gen.OneOf(Names);

    /// <summary>Values without variables: what a variable's default may be.</summary>
    public static readonly Gen<Value> ConstValue = Gen.OneOf<Value>(
        Gen.OneOf("0", "-1", "42", "9007199254740993").Select(text => new Value("int", text)),
        Gen.OneOf(StringPieces).Array[0, 6].Select(pieces => new Value("string", "\"" + string.Concat(pieces) + "\"")),
        Gen.OneOf("true", "false", "null").Select(text => new Value("literal", text)),
        Gen.OneOf(EnumValues).Select(text => new Value("enum", text)));

    public static readonly Gen<Value> ScalarValue = Gen.OneOf<Value>(
        Gen.OneOf("0", "-1", "42", "9007199254740993").Select(text => new Value("int", text)),
        Gen.OneOf("1.5", "-0.5e3", "1E10", "0.0").Select(text => new Value("float", text)),
        Gen.OneOf(StringPieces).Array[0, 6].Select(pieces => new Value("string", "\"" + string.Concat(pieces) + "\"")),
        Gen.OneOf(BlockPieces).Array[0, 6].Select(pieces => new Value("block", "\"\"\"" + string.Join(' ', pieces) + " \"\"\"")),
        Gen.OneOf("true", "false", "null").Select(text => new Value("literal", text)),
        Gen.OneOf(EnumValues).Select(text => new Value("enum", text)),
        Gen.OneOf("v", "mutation").Select(text => new Value("variable", text)));

    public static readonly Gen<Value> AnyValue = Gen.OneOf<Value>(
        ScalarValue,
        ScalarValue,
        ScalarValue.Array[0, 3].Select(items => new Value("list", null, Items: items)),
        Gen.Select(Name, ScalarValue, (name, value) => new Argument(name, value)).Array[0, 2]
            .Select(fields => new Value("object", null, Fields: Distinct(fields))),
        ScalarValue.Array[0, 2].Select(items => new Value("list", null, Items: [new Value("list", null, Items: items)])));

    private static readonly Gen<Argument[]> Arguments =
        Gen.Select(Name, AnyValue, (name, value) => new Argument(name, value)).Array[0, 2].Select(Distinct);

    private static readonly Gen<Directive[]> Directives =
        Gen.Select(Gen.OneOf(DirectiveNames), Arguments, (name, args) => new Directive(name, args)).Array[0, 1];

    /// <summary>Selections nested at most <paramref name="depth"/> fields deep, spreading fragments in [<paramref name="spreadFrom"/>, <paramref name="spreadTo"/>).</summary>
    public static Gen<Selection[]> Selections(int depth, int spreadFrom, int spreadTo)
    {
        var leaf = Gen.Select(Name.Null(), Name, Arguments, Directives, (alias, name, args, directives) => (Selection)new FieldSelection(alias, name, args, directives, null));
        if (depth <= 1)
        {
            return leaf.Array[1, 3];
        }

        var inner = Selections(depth - 1, spreadFrom, spreadTo);
        var choices = new List<Gen<Selection>>
        {
            leaf,
            leaf,
            Gen.Select(Name.Null(), Name, Arguments, Directives, inner, (alias, name, args, directives, children) => (Selection)new FieldSelection(alias, name, args, directives, children)),
            Gen.Select(Gen.OneOf(TypeNames).Null(), Directives, inner, (type, directives, children) => (Selection)new InlineFragment(type, directives, children)),
        };
        if (spreadFrom < spreadTo)
        {
            choices.Add(Gen.Select(Gen.Int[spreadFrom, spreadTo - 1], Directives, (fragment, directives) => (Selection)new FragmentSpread(fragment, directives)));
        }

        return Gen.OneOf<Selection>(choices.ToArray()).Array[1, 3];
    }

    private static readonly Gen<VariableDefinition[]> Variables = Gen.Select(
        Gen.OneOf("v", "mutation", "query"),
        Gen.OneOf("Int", "String !", "[ String ! ] !", "ID"),
        ConstValue.Null(),
        (name, type, value) => new VariableDefinition(name, type, value)).Array[0, 2].Select(variables => variables.DistinctBy(v => v.Name).ToArray());

    public static Gen<Operation> OperationOf(Gen<OperationKind> kind, int depth, int fragments) => Gen.Select(
        kind, Gen.OneOf(OperationNames).Null(), Variables, Directives, Selections(depth, 0, fragments),
        (k, name, variables, directives, selections) => new Operation(k, name, variables, directives, selections));

    /// <summary>Fragments F0..F(count-1); each spreads only later ones, so spreads never form a cycle.</summary>
    public static Gen<Fragment[]> Fragments(int count, int depth)
    {
        Gen<Fragment[]> all = Gen.Const(Array.Empty<Fragment>());
        for (var i = count - 1; i >= 0; i--)
        {
            var one = Gen.Select(Gen.OneOf(TypeNames), Directives, Selections(depth, i + 1, count), (type, directives, selections) => new Fragment(type, directives, selections));
            all = Gen.Select(one, all, (first, rest) => (Fragment[])[first, .. rest]);
        }

        return all;
    }

    /// <summary>Documents of 1 to 4 operations of any kinds, up to 3 fragments, in any order, nested up to 4 fields deep.</summary>
    public static readonly Gen<GraphQLDoc> Document =
        from operationCount in Gen.Int[1, 4]
        from fragmentCount in Gen.Int[0, 3]
        from depth in Gen.Int[1, 4]
        from operations in OperationOf(Gen.Enum<OperationKind>(), depth, fragmentCount).Array[operationCount]
        from fragments in Fragments(fragmentCount, depth)
        from order in Gen.Shuffle(Enumerable.Range(0, operationCount + fragmentCount).ToArray())
        from noise in Gen.Int
        select new GraphQLDoc(operations, fragments, order, noise);

    private static Argument[] Distinct(Argument[] arguments) => arguments.DistinctBy(argument => argument.Name).ToArray();
}
