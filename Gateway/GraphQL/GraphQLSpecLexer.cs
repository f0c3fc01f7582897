namespace Gateway.GraphQL;

/// <summary>The kinds of lexical token <see cref="GraphQLSpecLexer"/> tells apart (spec §2.1.6).</summary>
internal enum SpecTokenKind : byte
{
    End,
    Punctuator,
    Name,
    Int,
    Float,
    String,
    Comment,
}

/// <summary>
/// The GraphQL lexical grammar (spec, October 2021, §2.1) in one forward pass: every character is looked at a
/// bounded number of times, and an error is a value (<see cref="Error"/>), never an exception, so its cost does not
/// depend on where in a line it is. Used for documents whose lines are too long for GraphQL-Parser's error path
/// (see <see cref="GraphQLLongLines"/>). Where the grammar is strict, so is this: the only inputs it accepts are
/// spec-valid token streams, and its token boundaries (where a string, block string or comment ends) are the spec's.
/// </summary>
internal ref struct GraphQLSpecLexer(ReadOnlySpan<char> text)
{
    private readonly ReadOnlySpan<char> _text = text;
    private int _position;

    public SpecTokenKind Kind { get; private set; }

    /// <summary>Where the current token starts; where the error is when <see cref="Error"/> is set.</summary>
    public int Start { get; private set; }

    public readonly int End => _position;

    public string? Error { get; private set; }

    /// <summary>Moves to the next token; false at the end of the text or on an error.</summary>
    public bool Next()
    {
        SkipIgnored();
        Start = _position;
        if (_position >= _text.Length)
        {
            Kind = SpecTokenKind.End;
            return false;
        }

        char c = _text[_position];
        switch (c)
        {
            case '!' or '$' or '&' or '(' or ')' or ':' or '=' or '@' or '[' or ']' or '{' or '|' or '}':
                _position++;
                return Token(SpecTokenKind.Punctuator);
            case '.':
                return _text[_position..].StartsWith("...") ? Advance(3, SpecTokenKind.Punctuator) : Fail("a lone '.'");
            case '#':
                // A comment runs to the next line terminator (spec §2.1.4). Any other character may be in it, as
                // GraphQL-Parser (and the September 2025 spec, whose source characters are all of Unicode) allow.
                int lineEnd = _text[_position..].IndexOfAny('\n', '\r');
                _position = lineEnd < 0 ? _text.Length : _position + lineEnd;
                return Token(SpecTokenKind.Comment);
            case '"':
                return _text[_position..].StartsWith("\"\"\"") ? BlockString() : String();
            case '-' or (>= '0' and <= '9'):
                return Number();
            default:
                if (IsNameStart(c))
                {
                    _position++;
                    while (_position < _text.Length && IsNameContinue(_text[_position]))
                    {
                        _position++;
                    }

                    return Token(SpecTokenKind.Name);
                }

                return Fail("an unexpected character");
        }
    }

    private void SkipIgnored()
    {
        // White space, line terminators, commas and the byte order mark are ignored tokens (spec §2.1.1-2.1.5, §2.1.7).
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r' or ',' or '\uFEFF')
        {
            _position++;
        }
    }

    // IntValue and FloatValue (spec §2.9.1, §2.9.2): no leading zero, and neither may be followed by a digit, a '.'
    // or a name start.
    private bool Number()
    {
        bool isFloat = false;
        if (_text[_position] == '-')
        {
            _position++;
        }

        if (At('0'))
        {
            _position++;
        }
        else if (!Digits())
        {
            return Fail("a number without digits");
        }

        if (At('.'))
        {
            isFloat = true;
            _position++;
            if (!Digits())
            {
                return Fail("a number with no digit after '.'");
            }
        }

        if (At('e') || At('E'))
        {
            isFloat = true;
            _position++;
            if (At('+') || At('-'))
            {
                _position++;
            }

            if (!Digits())
            {
                return Fail("a number with no digit in its exponent");
            }
        }

        if (_position < _text.Length && (_text[_position] is '.' or (>= '0' and <= '9') || IsNameStart(_text[_position])))
        {
            return Fail("a number followed by a digit, '.' or a name");
        }

        return Token(isFloat ? SpecTokenKind.Float : SpecTokenKind.Int);
    }

    private bool Digits()
    {
        int start = _position;
        while (_position < _text.Length && _text[_position] is >= '0' and <= '9')
        {
            _position++;
        }

        return _position > start;
    }

    // A single-quoted string (spec §2.9.4): no line terminator, escapes from the spec's list only.
    private bool String()
    {
        _position++;
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (c == '"')
            {
                _position++;
                return Token(SpecTokenKind.String);
            }

            if (c == '\\')
            {
                if (_position + 1 >= _text.Length)
                {
                    break;
                }

                char escaped = _text[_position + 1];
                if (escaped == 'u')
                {
                    if (_position + 6 > _text.Length || !IsHex(_text.Slice(_position + 2, 4)))
                    {
                        return Fail("a bad \\u escape in a string");
                    }

                    _position += 6;
                    continue;
                }

                if (escaped is not ('"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't'))
                {
                    return Fail("a bad escape in a string");
                }

                _position += 2;
                continue;
            }

            if (c is '\n' or '\r' || !IsSourceCharacter(c))
            {
                return Fail("a line break or control character in a string");
            }

            _position++;
        }

        return Fail("an unterminated string");
    }

    // A block string (spec §2.9.4): any source character; only \""" is an escape, and the first """ ends it.
    private bool BlockString()
    {
        _position += 3;
        while (_position < _text.Length)
        {
            ReadOnlySpan<char> rest = _text[_position..];
            if (rest.StartsWith("\"\"\""))
            {
                _position += 3;
                return Token(SpecTokenKind.String);
            }

            if (rest.StartsWith("\\\"\"\""))
            {
                _position += 4;
                continue;
            }

            if (!IsSourceCharacter(rest[0]))
            {
                return Fail("a control character in a block string");
            }

            _position++;
        }

        return Fail("an unterminated block string");
    }

    private readonly bool At(char c) => _position < _text.Length && _text[_position] == c;

    private bool Advance(int length, SpecTokenKind kind)
    {
        _position += length;
        return Token(kind);
    }

    private bool Token(SpecTokenKind kind)
    {
        Kind = kind;
        return true;
    }

    private bool Fail(string error)
    {
        Start = _position;
        Error = error;
        Kind = SpecTokenKind.End;
        return false;
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private static bool IsHex(ReadOnlySpan<char> digits) => !digits.ContainsAnyExcept(HexDigits);

    // SourceCharacter (spec §2.1): tab, the line terminators, and U+0020 upwards.
    private static bool IsSourceCharacter(char c) => c >= ' ' || c is '\t' or '\n' or '\r';

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNameContinue(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
