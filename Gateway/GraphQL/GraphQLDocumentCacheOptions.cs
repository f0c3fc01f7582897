using System.ComponentModel.DataAnnotations;

namespace Gateway.GraphQL;

/// <summary><c>GraphQLDocumentCache</c>: the table of accepted documents (<see cref="AcceptedDocuments"/>). Read at start.</summary>
public sealed class GraphQLDocumentCacheOptions
{
    public const string Section = "GraphQLDocumentCache";

    /// <summary>Most documents held; past it the table is emptied and refills. 0 turns the cache off.</summary>
    [Range(0, 1_000_000)]
    public int MaxEntries { get; set; } = 512;

    /// <summary>Longest document kept, in characters; longer ones are parsed every time.</summary>
    // 512 documents of up to 8 Ki characters: 8 MiB of text at worst, far less for real clients.
    [Range(1, 1024 * 1024)]
    public int MaxDocumentLength { get; set; } = 8 * 1024;
}
