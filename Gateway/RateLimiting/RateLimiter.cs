using System.Collections.Concurrent;
using Gateway.Caching;
using Gateway.Configuration;
using Gateway.Keys;
using Gateway.Observability;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.RateLimiting;

/// <summary>
/// Enforces keys' <c>rateLimits</c> across every instance on one Redis (contract §9). Admissions come from leases: one
/// Lua call takes a batch of tokens (twice the last sub-bucket's demand) for one sub-bucket, checked against every limit's
/// counted buckets (<see cref="SubBuckets"/>), and requests are then admitted from memory until the batch or the
/// sub-bucket ends; unused tokens are given back. While a key is in steady use, the next sub-bucket's lease is taken
/// during the current one (a prefetch no request waits for), so its requests never wait on Redis. Time is this instance's <see cref="TimeProvider"/>, passed to the script, so instances must
/// keep their clocks within a small fraction of a sub-bucket (NTP); a request is counted in the bucket of the instance
/// that admitted it. While Redis is unreachable each instance enforces every limit alone (<see cref="LocalWindows"/>).
/// </summary>
internal sealed partial class RateLimiter : IRateLimiter
{
    private readonly ConcurrentDictionary<string, KeyLimitState> _states = new(StringComparer.Ordinal);
    private readonly RateLimitStore _store;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics _metrics;
    private readonly TimeSpan _storeTimeout;
    private readonly ILogger<RateLimiter> _logger;
    private const int MaxLateReplies = 3;
    private int _outage;
    private long _waits;

    public RateLimiter(RateLimitStore store, TimeProvider time, GatewayMetrics metrics, IOptions<CacheOptions> cache, ILogger<RateLimiter> logger)
    {
        _store = store;
        _time = time;
        _metrics = metrics;
        _storeTimeout = cache.Value.StoreTimeout;
        _logger = logger;
        metrics.ObserveRateLimitOutage(() => Volatile.Read(ref _outage));
        metrics.ObserveRateLimitCalls(() => store.Calls, () => Interlocked.Read(ref _waits));
    }

    /// <summary>True while this instance enforces limits alone because Redis could not be reached.</summary>
    public bool InOutage => Volatile.Read(ref _outage) == 1;

    internal ICollection<KeyLimitState> States => _states.Values;

    internal RateLimitStore Store => _store;

    /// <summary>Requests that found no lease in memory and waited for a store call.</summary>
    internal long Waits => Interlocked.Read(ref _waits);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Admits or refuses one request of <paramref name="key"/>, which has at least one limit; synchronous while its lease lasts.</summary>
    public ValueTask<RateLimitDecision> AcquireAsync(ApiKey key)
    {
        var state = StateFor(key);
        var now = NowMs;
        bool inMemory;
        RateLimitDecision decision;
        var prefetch = false;
        long at = 0;
        var want = 0;
        lock (state.Gate)
        {
            state.LastUsedMs = now;
            inMemory = TryDecideInMemory(state, now, out decision);
            if (inMemory && decision.Admitted && ShouldPrefetch(state, now))
            {
                prefetch = state.Prefetching = true;
                at = state.LeaseEndMs;
                want = state.Want(now);
            }
        }

        if (prefetch)
        {
            // Started outside the gate; the script call is queued on the multiplexer and awaited by nobody.
            state.Prefetch = PrefetchAsync(state, at, want);
        }

        if (inMemory)
        {
            return new ValueTask<RateLimitDecision>(decision);
        }

        Interlocked.Increment(ref _waits);
        return AcquireFromStoreAsync(state);
    }

    private KeyLimitState StateFor(ApiKey key)
    {
        var rules = key.RateLimits;
        if (_states.TryGetValue(key.Id, out var state) && Same(state.Rules, rules))
        {
            return state;
        }

        // New, or the key's limits changed: a fresh state. The old lease's tokens stay counted in Redis until their
        // buckets leave the window, which errs on the side of the limit.
        var fresh = new KeyLimitState(key.Id, rules);
        return _states.AddOrUpdate(key.Id, fresh, (_, existing) => Same(existing.Rules, rules) ? existing : fresh);
    }

    // The same array while the record stays in L1; an equal one when it was read again (L1 expiry, another field changed).
    private static bool Same(RateLimitRule[] held, RateLimitRule[] current) =>
        ReferenceEquals(held, current) || held.AsSpan().SequenceEqual(current);

    /// <summary>The answer without Redis, when memory has it: a lease token, a refusal cached for this bucket, or the outage windows.</summary>
    private bool TryDecideInMemory(KeyLimitState state, long now, out RateLimitDecision decision)
    {
        if (InOutage)
        {
            // Fails closed to each instance's own count: never unlimited, at most the limit per instance.
            decision = state.Local.TryAdmit(now, out var retryMs, out var refusing)
                ? RateLimitDecision.Admit
                : RateLimitDecision.Refuse(retryMs, state.Rules, refusing);
            return true;
        }

        if (!state.Local.IsEmpty)
        {
            decision = default;
            return false;
        }

        // At a bucket's end the prefetched lease takes over here, in memory: no request waits for the next call.
        state.EndLease(now);
        if (state.Tokens > 0)
        {
            state.Tokens--;
            state.CountAdmission(now);
            decision = RateLimitDecision.Admit;
            return true;
        }

        if (now < state.BlockedUntilMs)
        {
            decision = RateLimitDecision.Refuse(state.BlockedRetryAtMs - now, state.Rules, state.BlockedRule);
            return true;
        }

        decision = default;
        return false;
    }

    /// <summary>
    /// Whether to take the next bucket's lease now, off the request path: once per bucket, while the key has demand in
    /// two buckets running (or twice in this one), so a key used now and then makes no extra call. Caller holds the gate.
    /// </summary>
    private bool ShouldPrefetch(KeyLimitState state, long now) =>
        !state.Prefetching && state.NextTokens == 0 && now < state.LeaseEndMs && !InOutage && state.Local.IsEmpty
        && (state.UsedInLastPeriod > 0 || state.UsedInPeriod >= 2);

    /// <summary>
    /// The next bucket's lease. It does not take <see cref="KeyLimitState.Calls"/> and has no timeout of its own: no
    /// request waits for it (a request that finds no lease makes its own call, which has the store timeout and decides
    /// an outage), so a slow prefetch only means the requests of the next bucket ask for themselves.
    /// </summary>
    private async Task PrefetchAsync(KeyLimitState state, long at, int want)
    {
        try
        {
            List<(int, long, long)> returns;
            lock (state.Gate)
            {
                if (NowMs >= at || state.NextTokens > 0 || InOutage || !state.Local.IsEmpty)
                {
                    return;
                }

                returns = [.. state.Returns];
                state.Returns.Clear();
            }

            LeaseReply reply;
            try
            {
                reply = await _store.LeaseAsync(state.KeyId, state.Rules, at, want, returns).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Dropped, as in AcquireFromStoreAsync (the returns too: they err on the side of the limit). Not an outage
                // by itself: the next request that finds no lease asks, with the store timeout, and decides that.
                _metrics.RateLimitStoreFailed();
                return;
            }

            lock (state.Gate)
            {
                if (reply.Granted > 0)
                {
                    state.SetNext((int)reply.Granted, at, SubBuckets.EarliestEndMs(state.Rules, at), reply.Buckets);
                    // A reply after its bucket ended (a stalled machine) is given back whole by this.
                    state.EndLease(NowMs);
                }

                // Refused: nothing kept; the first request of that bucket asks and caches the refusal.
            }
        }
        finally
        {
            lock (state.Gate)
            {
                state.Prefetching = false;
            }
        }
    }

    private async ValueTask<RateLimitDecision> AcquireFromStoreAsync(KeyLimitState state)
    {
        await state.Calls.WaitAsync().ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
            long now;
            int want;
            List<(int, long, long)> returns;
            List<(int, long, long)> pushes;
            lock (state.Gate)
            {
                now = NowMs;
                // Another request (or a prefetch) may have brought a lease while this one waited for the call slot.
                if (TryDecideInMemory(state, now, out var decision))
                {
                    return decision;
                }

                returns = [.. state.Returns];
                state.Returns.Clear();
                pushes = state.Local.Open(now);
                want = state.Want(now);
            }

            LeaseReply reply;
            try
            {
                reply = await _store.LeaseAsync(state.KeyId, state.Rules, now, want, [.. pushes, .. returns])
                    .WaitAsync(_storeTimeout, _time).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The returns are dropped, not retried: had the script run before the reply was lost, giving them back
                // twice would free room nobody left. Kept, they only err on the side of the limit until their buckets end.
                EnterOutage(ex);
                lock (state.Gate)
                {
                    TryDecideInMemory(state, NowMs, out var local);
                    return local;
                }
            }

            lock (state.Gate)
            {
                state.Local.Subtract(pushes, now);
                var decision = Apply(state, now, reply);
                // A reply later than one bucket past the bucket it was charged to (a loaded machine): admitted, the
                // request would be forwarded outside the bucket it counts in, eating the guard, so its tokens go back;
                // refused, the answer was for a time long past (and may have counted grants made after it). Either
                // way it asks again at the current time.
                if (attempt < MaxLateReplies && NowMs >= SubBuckets.EarliestEndMs(state.Rules, now) + state.NarrowestWidthMs)
                {
                    if (decision.Admitted)
                    {
                        state.Tokens++;
                        state.EndLease(NowMs);
                    }

                    continue;
                }

                if (decision.Admitted)
                {
                    state.CountAdmission(now);
                }

                return decision;
            }
            }
        }
        finally
        {
            state.Calls.Release();
        }
    }

    private static RateLimitDecision Apply(KeyLimitState state, long now, LeaseReply reply)
    {
        if (reply.Granted > 0)
        {
            // Charged to reply.Buckets: later than now's only when the script ran late, and then the reply is late too,
            // given back by the caller.
            state.StartLease((int)reply.Granted - 1, SubBuckets.EarliestEndMs(state.Rules, now), reply.Buckets);

            state.BlockedUntilMs = 0;
            return RateLimitDecision.Admit;
        }

        // Room frees only when a bucket leaves a window or another instance gives tokens back, both at bucket ends:
        // until the current one ends, this instance answers refusals from memory.
        var refusing = Array.FindIndex(reply.Remaining, r => r <= 0);
        state.BlockedUntilMs = SubBuckets.EarliestEndMs(state.Rules, now);
        state.BlockedRetryAtMs = now + Math.Max(1, reply.RetryMs);
        state.BlockedRule = refusing;
        return RateLimitDecision.Refuse(reply.RetryMs, state.Rules, refusing);
    }

    private void EnterOutage(Exception ex)
    {
        _metrics.RateLimitStoreFailed();
        if (Interlocked.Exchange(ref _outage, 1) == 0)
        {
            Log.EnforcingLocally(_logger, ex.GetType().Name);
        }
    }

    /// <summary>Called by the sweeper once Redis answers again: keys push their local counts before their next lease.</summary>
    public void EndOutage()
    {
        if (Interlocked.Exchange(ref _outage, 0) == 1)
        {
            Log.SharedAgain(_logger);
        }
    }

    /// <summary>
    /// Gives back the unused tokens of leases that have ended (a key that went quiet holds none for long) and forgets
    /// keys idle longer than <paramref name="idle"/> with nothing held. Run by <see cref="RateLimitSweeper"/>.
    /// </summary>
    public async Task SweepAsync(TimeSpan idle)
    {
        var now = NowMs;
        foreach (var (id, state) in _states)
        {
            List<(int, long, long)>? returns = null;
            lock (state.Gate)
            {
                state.EndLease(now);
                if (state.Returns.Count > 0 && !InOutage)
                {
                    returns = [.. state.Returns];
                    state.Returns.Clear();
                }
                else if (state.Returns.Count == 0 && state.Tokens == 0 && state.NextTokens == 0 && !state.Prefetching && state.Local.IsEmpty
                    && now - state.LastUsedMs > idle.TotalMilliseconds)
                {
                    _states.TryRemove(new KeyValuePair<string, KeyLimitState>(id, state));
                }
            }

            if (returns is not null && await state.Calls.WaitAsync(0).ConfigureAwait(false))
            {
                try
                {
                    await _store.LeaseAsync(state.KeyId, state.Rules, now, 0, returns).WaitAsync(_storeTimeout, _time).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // Dropped (see AcquireFromStoreAsync): kept counted, the limit errs on its own side. Not an outage by
                    // itself, as for a prefetch: the next request that finds no lease asks, with the store timeout, and
                    // decides that. Until 1 Dec a slow give-back declared one, and every instance whose sweep timed out
                    // enforced every limit alone (up to the limit each) while the requests' own calls were answered.
                    _metrics.RateLimitStoreFailed();
                }
                finally
                {
                    state.Calls.Release();
                }
            }
            else if (returns is not null)
            {
                lock (state.Gate)
                {
                    // A request's call is in flight: the next call carries them.
                    state.Returns.AddRange(returns);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1300, Level = LogLevel.Warning,
            Message = "Rate limits: the store could not be reached ({Error}); each instance now enforces every limit on its own until it returns.")]
        public static partial void EnforcingLocally(ILogger logger, string error);

        [LoggerMessage(EventId = 1301, Level = LogLevel.Information,
            Message = "Rate limits: the store answers again; limits are shared across instances once each key's local counts are pushed.")]
        public static partial void SharedAgain(ILogger logger);
    }
}
