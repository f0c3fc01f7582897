using Gateway.Keys;

namespace Gateway.Caching;

/// <summary>
/// The sweep's checks, batched: the keys one sweep starts are checked in batches of at most
/// <see cref="MaxRefreshBatch"/>, each batch one execution of the store read pipeline (one timeout, one outcome for the
/// circuit breaker) that sends all its HMGETs at once (<see cref="Store.KeyStore.AreCurrentAsync"/>). With 100,000 keys in
/// use the sweep starts 3,000 to 6,000 checks a second; one by one each cost a pipeline execution, a timeout timer and a
/// round trip of its own.
/// <para>
/// Per key nothing else changes: each key has its own flight in <c>_inflight</c> from the sweep until its answer (a miss
/// joins it), keeps its own outcome and metric, and a key whose version or id moved gets its own full read. A failed
/// batch is a failed check for each of its keys: each counts as <c>error</c>, the failure is logged once for the batch,
/// and nothing changes.
/// </para>
/// </summary>
public sealed partial class KeyCache
{
    /// <summary>Most keys checked in one batch: bounds the pipeline's write and the replies a timeout waits for.</summary>
    internal const int MaxRefreshBatch = 256;

    private void StartRefreshBatch(List<RefreshFlight> batch) => _ = RefreshBatchAsync(batch);

    private async Task RefreshBatchAsync(List<RefreshFlight> batch)
    {
        // Every key's extension counts from here, before anything was sent.
        var started = _time.GetTimestamp();
        var settled = 0;
        try
        {
            var checks = new (KeyDigest Digest, ApiKey Cached)[batch.Count];
            for (var i = 0; i < checks.Length; i++)
            {
                checks[i] = (batch[i].Digest, batch[i].Seen.Key!);
            }

            bool[] current;
            try
            {
                // One execution for the batch: its timeout bounds the whole batch, and it counts once toward the circuit,
                // which when open spares the store the batch as it spares single reads.
                current = await _pipeline.ExecuteAsync(
                    static async (state, token) => await state.Store.AreCurrentAsync(state.Checks).WaitAsync(token).ConfigureAwait(false),
                    (Store: _store, Checks: checks)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.RefreshBatchFailed(_logger, batch.Count, ex);
                for (; settled < batch.Count; settled++)
                {
                    var failed = batch[settled];
                    Settle(failed, RefreshFailed(failed.Digest, ex, log: false));
                }

                return;
            }

            for (; settled < batch.Count; settled++)
            {
                var flight = batch[settled];
                if (current[settled])
                {
                    Settle(flight, Unchanged(flight.Digest, flight.Seen, started));
                }
                else
                {
                    // Changed, gone, or from before versions: the key's own full read, on the same flight.
                    _ = CompleteAsync(flight.Digest, flight.Completion, reload: true);
                }
            }
        }
        catch (Exception ex)
        {
            // A bug; the keys not answered yet must still leave flight, and fail closed as an unexpected failure does.
            Log.UnexpectedLookupFailure(_logger, ex);
            for (; settled < batch.Count; settled++)
            {
                Settle(batch[settled], KeyLookup.Unavailable(1));
            }
        }
    }

    // Ends the key's flight, then answers it (only this flight: an invalidation may have let a newer one in meanwhile).
    private void Settle(RefreshFlight flight, KeyLookup lookup)
    {
        // Out of the table first, as in CompleteAsync: no lookup joins this answer after it was given.
        _inflight.TryRemove(new KeyValuePair<KeyDigest, Task<KeyLookup>>(flight.Digest, flight.Completion.Task));
        flight.Completion.TrySetResult(lookup);
    }

    /// <summary>One key of a batch: its digest, the very entry the sweep saw, and its flight.</summary>
    private readonly record struct RefreshFlight(KeyDigest Digest, DigestTable.Slot Seen, TaskCompletionSource<KeyLookup> Completion);

    private static partial class Log
    {
        [LoggerMessage(EventId = 204, Level = LogLevel.Debug, Message = "Background check of {Count} cached keys failed; their entries end at their own time.")]
        public static partial void RefreshBatchFailed(ILogger logger, int count, Exception exception);
    }
}
