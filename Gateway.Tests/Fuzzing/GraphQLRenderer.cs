using System.Text;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// Writes a <see cref="GraphQLDoc"/> as source text, with ignored tokens chosen by its noise seed (white space,
/// commas, all three line breaks, byte order marks, comments that read like operations), and counts the lexical
/// tokens it writes (comments included, as the gateway counts them) so the token limit is known by construction.
/// </summary>
public sealed class GraphQLRenderer
{
    private static readonly string[] Comments = ["# mutation { drop }", "#mutation M { x }", "# query", "#", "# \"\"\" { } subscription"];
    private static readonly string[] Blanks = [" ", "  ", "\t", ",", ", ", "\n", "\r\n", "\r", "\uFEFF", " ,\t"];
    private readonly StringBuilder _text = new();
    private readonly Random _noise;
    private readonly double _noiseRate;
    private char _last = ' ';

    private GraphQLRenderer(int noiseSeed)
    {
        _noise = new Random(noiseSeed);
        // Some documents are written as tightly as the grammar allows, others with noise everywhere.
        _noiseRate = _noise.Next(4) switch { 0 => 0.0, 1 => 0.05, 2 => 0.3, _ => 0.8 };
    }

    public int Tokens { get; private set; }

    public static (string Text, int Tokens) Render(GraphQLDoc doc)
    {
        var renderer = new GraphQLRenderer(doc.NoiseSeed);
        renderer.Document(doc);
        return (renderer._text.ToString(), renderer.Tokens);
    }

    private void Document(GraphQLDoc doc)
    {
        Noise();
        foreach (var index in doc.Order)
        {
            if (index < doc.Operations.Length)
            {
                Operation(doc.Operations[index], shorthandAllowed: doc.Operations.Length == 1);
            }
            else
            {
                var number = index - doc.Operations.Length;
                Fragment(number, doc.Fragments[number]);
            }
        }
    }

    private void Operation(Operation operation, bool shorthandAllowed)
    {
        if (!(shorthandAllowed && operation.CanBeShorthand && _noise.Next(2) == 0))
        {
            Token(operation.Kind switch { OperationKind.Query => "query", OperationKind.Mutation => "mutation", _ => "subscription" });
            if (operation.Name is { } name)
            {
                Token(name);
            }

            if (operation.Variables.Length > 0)
            {
                Token("(");
                foreach (var variable in operation.Variables)
                {
                    Token("$");
                    Token(variable.Name);
                    Token(":");
                    foreach (var part in variable.Type.Split(' '))
                    {
                        Token(part);
                    }

                    if (variable.Default is { } value)
                    {
                        Token("=");
                        Value(value);
                    }
                }

                Token(")");
            }

            Directives(operation.Directives);
        }

        SelectionSet(operation.Selections);
    }

    private void Fragment(int number, Fragment fragment)
    {
        Token("fragment");
        Token("F" + number);
        Token("on");
        Token(fragment.TypeCondition);
        Directives(fragment.Directives);
        SelectionSet(fragment.Selections);
    }

    private void SelectionSet(Selection[] selections)
    {
        Token("{");
        foreach (var selection in selections)
        {
            switch (selection)
            {
                case FieldSelection field:
                    if (field.Alias is { } alias)
                    {
                        Token(alias);
                        Token(":");
                    }

                    Token(field.Name);
                    Arguments(field.Arguments);
                    Directives(field.Directives);
                    if (field.Children is { } children)
                    {
                        SelectionSet(children);
                    }

                    break;
                case InlineFragment inline:
                    Token("...");
                    if (inline.TypeCondition is { } type)
                    {
                        Token("on");
                        Token(type);
                    }

                    Directives(inline.Directives);
                    SelectionSet(inline.Children);
                    break;
                case FragmentSpread spread:
                    Token("...");
                    Token("F" + spread.Fragment);
                    Directives(spread.Directives);
                    break;
            }
        }

        Token("}");
    }

    private void Arguments(Argument[] arguments)
    {
        if (arguments.Length == 0)
        {
            return;
        }

        Token("(");
        foreach (var argument in arguments)
        {
            Token(argument.Name);
            Token(":");
            Value(argument.Value);
        }

        Token(")");
    }

    private void Directives(Directive[] directives)
    {
        foreach (var directive in directives)
        {
            Token("@");
            Token(directive.Name);
            Arguments(directive.Arguments);
        }
    }

    private void Value(Value value)
    {
        switch (value.Kind)
        {
            case "list":
                Token("[");
                foreach (var item in value.Items!)
                {
                    Value(item);
                }

                Token("]");
                break;
            case "object":
                Token("{");
                foreach (var field in value.Fields!)
                {
                    Token(field.Name);
                    Token(":");
                    Value(field.Value);
                }

                Token("}");
                break;
            case "variable":
                Token("$");
                Token(value.Text!);
                break;
            default:
                Token(value.Text!);
                break;
        }
    }

    private void Token(string token)
    {
        // Two name-like tokens (names, numbers) need something between them, and so do two strings ("" then
        // """ would read as one block string quote); punctuators need nothing.
        if ((IsWordChar(_last) && (IsWordChar(token[0]) || token[0] is '-' or '.')) || (_last == '"' && token[0] == '"'))
        {
            _text.Append(Blanks[_noise.Next(Blanks.Length)]);
        }

        _text.Append(token);
        _last = token[^1];
        Tokens++;
        Noise();
    }

    private void Noise()
    {
        while (_noise.NextDouble() < _noiseRate * 0.5)
        {
            if (_noise.Next(8) == 0)
            {
                // A comment is a token to the lexer (and to the gateway's count) and runs to the line's end.
                _text.Append(Comments[_noise.Next(Comments.Length)]).Append(_noise.Next(3) switch { 0 => "\n", 1 => "\r\n", _ => "\r" });
                Tokens++;
            }
            else
            {
                _text.Append(Blanks[_noise.Next(Blanks.Length)]);
            }

            _last = ' ';
        }
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
