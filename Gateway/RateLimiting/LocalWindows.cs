namespace Gateway.RateLimiting;

/// <summary>
/// The sub-bucket counts of one key's limits held in memory: how an instance enforces every limit alone while Redis is
/// unreachable, with the same arithmetic as the Redis script (<see cref="SubBuckets"/>), and what it pushes to Redis when
/// it returns. Beside them, the tokens this instance holds from the store per bucket (<see cref="Charge"/>, kept on every
/// lease, never pushed): alone, an instance counts what it admitted through the store in the window too, so one store
/// stall does not give it a whole limit more (SECURITY.md 25). Not thread-safe: the owner locks.
/// </summary>
internal sealed class LocalWindows
{
    private const int Slots = SubBuckets.Counted;
    // The tokens held: the counted buckets and the Ahead ones a prefetched lease is charged to.
    private const int HeldSlots = Slots + SubBuckets.Ahead;
    private readonly RateLimitRule[] _rules;
    // Per rule, a ring of Counted (bucket, count) pairs indexed by bucket mod (k+1); made by the first admission alone, so
    // a key's state holds only the tokens' ring while Redis answers (the two rings are the same size).
    private long[] _buckets = [];
    private long[] _counts = [];
    // Per rule, a ring of HeldSlots (bucket, tokens) pairs: tokens this instance took from the store, net of those given back.
    private readonly long[] _heldBuckets;
    private readonly long[] _held;

    public LocalWindows(RateLimitRule[] rules)
    {
        _rules = rules;
        _heldBuckets = new long[rules.Length * HeldSlots];
        _held = new long[rules.Length * HeldSlots];
        Array.Fill(_heldBuckets, -1);
    }

    /// <summary>
    /// Notes <paramref name="tokens"/> taken from the store (negative: given back) in <paramref name="buckets"/> (one per
    /// limit, as the store charged them). Called per lease, not per request; an admission the store counted is either a
    /// token held here or was given back, so counting the tokens held errs on the side of the limit.
    /// </summary>
    public void Charge(long[] buckets, long tokens)
    {
        for (var r = 0; r < _rules.Length; r++)
        {
            ChargeRule(r, buckets[r], tokens);
        }
    }

    public bool IsEmpty { get; private set; } = true;

    /// <summary>Admits one request if every limit has room in its counted buckets; else the ms until the first could.</summary>
    public bool TryAdmit(long nowMs, out long retryMs, out int refusingRule)
    {
        retryMs = 0;
        refusingRule = -1;
        for (var r = 0; r < _rules.Length; r++)
        {
            var width = SubBuckets.WidthMs(_rules[r].WindowSeconds);
            var current = SubBuckets.Of(nowMs, width);
            var (sum, oldest) = Sum(r, current);
            if (sum >= _rules[r].Requests && SubBuckets.LeavesWindowAtMs(oldest, width) - nowMs > retryMs)
            {
                retryMs = SubBuckets.LeavesWindowAtMs(oldest, width) - nowMs;
                refusingRule = r;
            }
        }

        if (retryMs > 0)
        {
            return false;
        }

        if (_counts.Length == 0)
        {
            _buckets = new long[_rules.Length * Slots];
            _counts = new long[_rules.Length * Slots];
            Array.Fill(_buckets, -1);
        }

        for (var r = 0; r < _rules.Length; r++)
        {
            var current = SubBuckets.Of(nowMs, SubBuckets.WidthMs(_rules[r].WindowSeconds));
            var slot = (r * Slots) + (int)(current % Slots);
            if (_buckets[slot] != current)
            {
                _buckets[slot] = current;
                _counts[slot] = 0;
            }

            _counts[slot]++;
        }

        IsEmpty = false;
        return true;
    }

    /// <summary>The counts still inside their windows at <paramref name="nowMs"/>, as (window, bucket, count).</summary>
    public List<(int WindowSeconds, long Bucket, long Delta)> Open(long nowMs)
    {
        var open = new List<(int, long, long)>();
        if (_counts.Length == 0)
        {
            return open;
        }

        for (var r = 0; r < _rules.Length; r++)
        {
            var current = SubBuckets.Of(nowMs, SubBuckets.WidthMs(_rules[r].WindowSeconds));
            for (var i = 0; i < Slots; i++)
            {
                var slot = (r * Slots) + i;
                if (_counts[slot] > 0 && _buckets[slot] > current - Slots && _buckets[slot] <= current)
                {
                    open.Add((_rules[r].WindowSeconds, _buckets[slot], _counts[slot]));
                }
            }
        }

        return open;
    }

    /// <summary>Takes out counts Redis now holds (pushed by <see cref="Open"/>'s caller); what was admitted since stays.</summary>
    public void Subtract(IEnumerable<(int WindowSeconds, long Bucket, long Delta)> pushed, long nowMs)
    {
        if (_counts.Length == 0)
        {
            return;
        }

        foreach (var (window, bucket, count) in pushed)
        {
            var r = Array.FindIndex(_rules, rule => rule.WindowSeconds == window);
            var slot = r < 0 || bucket < 0 ? -1 : (r * Slots) + (int)(bucket % Slots);
            if (slot >= 0 && _buckets[slot] == bucket)
            {
                _counts[slot] = Math.Max(0, _counts[slot] - count);
                // Redis holds them now, as it holds the tokens: a second outage in the window still counts them.
                ChargeRule(r, bucket, count);
            }
        }

        // Counts that have left their windows need no push: they no longer limit anything.
        for (var r = 0; r < _rules.Length; r++)
        {
            var current = SubBuckets.Of(nowMs, SubBuckets.WidthMs(_rules[r].WindowSeconds));
            for (var i = 0; i < Slots; i++)
            {
                var slot = (r * Slots) + i;
                if (_buckets[slot] <= current - Slots)
                {
                    _counts[slot] = 0;
                }
            }
        }

        IsEmpty = Array.TrueForAll(_counts, c => c == 0);
    }

    private void ChargeRule(int rule, long bucket, long tokens)
    {
        if (bucket < 0)
        {
            return;
        }

        var slot = (rule * HeldSlots) + (int)(bucket % HeldSlots);
        if (_heldBuckets[slot] != bucket)
        {
            // A bucket older than the slot's holds nothing any window still counts; one newer starts the slot anew.
            if (_heldBuckets[slot] > bucket || tokens <= 0)
            {
                return;
            }

            _heldBuckets[slot] = bucket;
            _held[slot] = 0;
        }

        _held[slot] = Math.Max(0, _held[slot] + tokens);
    }

    private (long Sum, long Oldest) Sum(int rule, long current)
    {
        long sum = 0, oldest = current;
        for (var i = 0; i < _counts.Length / _rules.Length; i++)
        {
            var slot = (rule * Slots) + i;
            var bucket = _buckets[slot];
            if (bucket > current - Slots && bucket <= current && _counts[slot] > 0)
            {
                sum += _counts[slot];
                oldest = Math.Min(oldest, bucket);
            }
        }

        // What this instance took from the store in the window (and ahead of it, a prefetched lease): admitted or held.
        for (var i = 0; i < HeldSlots; i++)
        {
            var slot = (rule * HeldSlots) + i;
            var bucket = _heldBuckets[slot];
            if (bucket > current - Slots && bucket <= current + SubBuckets.Ahead && _held[slot] > 0)
            {
                sum += _held[slot];
                oldest = Math.Min(oldest, bucket);
            }
        }

        return (sum, oldest);
    }
}
