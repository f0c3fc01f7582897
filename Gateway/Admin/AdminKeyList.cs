using System.Globalization;
using Gateway.Enforcement;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary><c>GET /admin/keys?limit=&amp;cursor=&amp;q=</c>: one page, newest first, and where the next starts.</summary>
internal static class AdminKeyList
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static async Task<IResult> ListAsync(HttpRequest request, KeyStore store)
    {
        if (Parse(request.Query, out var limit, out var after, out var query) is { } invalid)
        {
            return AdminResults.Refused(invalid);
        }

        var page = await store.PageAsync(limit, after, query).ConfigureAwait(false);
        var views = page.Keys.Select(key => KeyView.Of(key)).ToList();
        return AdminResults.Json(200, new KeyListView(views, page.Next?.ToCursor()), AdminJsonContext.Default.KeyListView);
    }

    /// <summary>Reads the query; a bad value is a refusal naming the field. A parameter given twice is refused, not guessed.</summary>
    internal static Refusal? Parse(IQueryCollection parameters, out int limit, out KeyListPosition? after, out string? query)
    {
        limit = DefaultLimit;
        after = null;
        query = null;
        foreach (var name in (ReadOnlySpan<string>)["limit", "cursor", "q"])
        {
            if (parameters[name].Count > 1)
            {
                return AdminRefusals.InvalidField(name, "given more than once");
            }
        }

        if (parameters.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit)
            {
                return AdminRefusals.InvalidField("limit", $"must be a whole number from 1 to {MaxLimit}");
            }
        }

        // An empty cursor is refused like any malformed one: a client that sends one has lost the cursor it was given.
        if (parameters.TryGetValue("cursor", out var cursorText))
        {
            if (!KeyListPosition.TryParseCursor(cursorText[0], out var position))
            {
                return AdminRefusals.InvalidField("cursor", "is not a cursor this API gave (pass nextCursor from the previous page unchanged)");
            }

            after = position;
        }

        // An empty q filters nothing, as a blank search box shows every key.
        query = parameters["q"] is [{ Length: > 0 } q] ? q : null;
        return null;
    }
}
