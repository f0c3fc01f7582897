using System.Globalization;
using Gateway.Enforcement;
using Gateway.Keys;
using Microsoft.Net.Http.Headers;

namespace Gateway.Admin;

/// <summary>
/// A key view's <c>ETag</c> is the strong tag <c>"&lt;version&gt;"</c> of the key's settings; <c>If-Match</c> on a PATCH or
/// DELETE makes the write conditional on it (RFC 9110 §13.1.1, strong comparison). <c>lastUsedAt</c> is not part of
/// the version: it changes on every use, and a tag that moved with it would fail every conditional write of a busy key.
/// </summary>
internal static class KeyETags
{
    public static string Of(ApiKey key) => Format(key.Version);

    /// <summary>
    /// Reads <c>If-Match</c>: none or <c>*</c> gives no precondition (the key must merely exist); a list of tags gives one
    /// that holds when the stored version is among its strong tags (a weak tag never matches). A header that does not
    /// parse is refused (400) rather than ignored: ignoring it would make a write the client meant as conditional unconditional.
    /// </summary>
    public static Refusal? ReadIfMatch(HttpRequest request, out Predicate<long>? precondition)
    {
        precondition = null;
        var values = request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseStrictList(values, out var tags) || tags.Count == 0
            || (tags.Count > 1 && tags.Any(t => t.Equals(EntityTagHeaderValue.Any))))
        {
            return AdminRefusals.InvalidField("If-Match", "must be * or a list of quoted entity tags, as sent in ETag");
        }

        if (tags[0].Equals(EntityTagHeaderValue.Any))
        {
            return null;
        }

        var strong = tags.Where(t => !t.IsWeak).Select(t => t.Tag.ToString()).ToHashSet(StringComparer.Ordinal);
        precondition = version => strong.Contains(Format(version));
        return null;
    }

    private static string Format(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";
}
