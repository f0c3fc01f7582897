using Gateway.Keys;

namespace Gateway.Caching;

/// <summary>
/// Where the enforcement step resolves a presented key's digest to a <see cref="KeyLookup"/> (the answer): in two
/// steps, so the caller can run a check of its own between a memory miss and the store read it costs (the failed-key
/// limit is checked there). <see cref="KeyCache"/> is the implementation; the seam lets the middleware and the upgrade
/// registry be unit tested without a store.
/// </summary>
public interface IKeyResolver
{
    /// <summary>The answer memory holds, with no store call; <c>false</c> when memory does not know the key.</summary>
    bool TryLookupInMemory(KeyDigest digest, out KeyLookup lookup);

    /// <summary>Reads a key memory did not know from the store. Store failures are answers, never exceptions.</summary>
    Task<KeyLookup> LookupInStoreAsync(KeyDigest digest);

    /// <summary>Both steps at once, for callers with nothing to check between them; synchronous when memory knows the key.</summary>
    ValueTask<KeyLookup> LookupAsync(KeyDigest digest);
}
