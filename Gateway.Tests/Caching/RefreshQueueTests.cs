using Gateway.Caching;
using Gateway.Keys;

namespace Gateway.Tests.Caching;

/// <summary>
/// The refresh sweep's due queue on its own: times are plain numbers (a period of 10 units, a horizon of 300, so 33
/// buckets), no clock, no store.
/// </summary>
public sealed class RefreshQueueTests
{
    private const long Period = 10;
    private const long Horizon = 300;

    [Fact]
    public void AnItem_IsTakenByTheFirstSweepAtOrAfterItsTime_AndOnlyOnce()
    {
        var queue = new RefreshQueue(Period, Horizon, now: 1000);
        var item = Item(1);
        Assert.True(queue.Add(item.Digest, item.Mark, windowOpens: 1225));

        Assert.Empty(Take(queue, 1225));
        Assert.Empty(Take(queue, 1229));
        Assert.Equal([item], Take(queue, 1230));
        Assert.Empty(Take(queue, 1240));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void AnItemAtTheStartOfAPeriod_IsTakenInThatPeriod()
    {
        var queue = new RefreshQueue(Period, Horizon, now: 1000);
        var item = Item(1);
        Assert.True(queue.Add(item.Digest, item.Mark, windowOpens: 1220));
        Assert.Empty(Take(queue, 1219));
        Assert.Equal([item], Take(queue, 1220));
    }

    [Fact]
    public void AddForAPeriodAlreadyTaken_SaysSo()
    {
        var queue = new RefreshQueue(Period, Horizon, now: 1000);
        Assert.Empty(Take(queue, 1100));
        var item = Item(1);
        // Its window opened at 1095, before the sweep at 1100 (the request read its clock earlier, then was held up).
        Assert.False(queue.Add(item.Digest, item.Mark, windowOpens: 1095));
        Assert.True(queue.Add(item.Digest, item.Mark, windowOpens: 1101));
    }

    [Fact]
    public void ASweepLateByMoreThanTheRing_TakesEveryBucketOnce()
    {
        var queue = new RefreshQueue(Period, Horizon, now: 1000);
        Assert.Equal(33, queue.Length);
        var items = Enumerable.Range(0, 33).Select(i => Item(i)).ToArray();
        for (var i = 0; i < items.Length; i++)
        {
            Assert.True(queue.Add(items[i].Digest, items[i].Mark, windowOpens: 1005 + (i * Period)));
        }

        // 100 periods late: every item is taken, those for periods long past and all others.
        Assert.Equal(items.ToHashSet(), Take(queue, 2000).ToHashSet());
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void AnItemTakenEarly_FiledBack_IsTakenWhenDue()
    {
        var queue = new RefreshQueue(Period, Horizon, now: 1000);
        var item = Item(1);
        // Filed for 1700 while the sweep last ran at 1000: its bucket is also that of period 137 (1370).
        Assert.True(queue.Add(item.Digest, item.Mark, windowOpens: 1700));
        var early = Take(queue, 1400);
        Assert.Equal([item], early);
        queue.AddBack(item, windowOpens: 1700);
        Assert.Empty(Take(queue, 1690));
        Assert.Equal([item], Take(queue, 1700));
    }

    [Theory]
    [InlineData(Horizon, false)]
    // An L1Ttl longer than the ring: periods a lap apart share a bucket, and the caller files back what came early.
    [InlineData(Period * RefreshQueue.MaxLength * 3, true)]
    public void RandomAddsAndSweeps_LoseNothing_AndTakeNothingEarlyUnlessTheRingIsShort(long horizon, bool laps)
    {
        var random = new Random(20261201);
        var queue = new RefreshQueue(Period, horizon, now: 0);
        Assert.Equal(laps, queue.Length < (horizon / Period) + 3);
        var pending = new Dictionary<RefreshQueue.Item, long>();
        var next = 0;
        var early = 0;
        for (long now = 1; now < 50_000; now += random.Next(1, 15))
        {
            for (var i = random.Next(0, 4); i > 0; i--)
            {
                var item = Item(next++);
                var opens = now + random.Next(1, (int)horizon);
                Assert.True(queue.Add(item.Digest, item.Mark, opens));
                pending.Add(item, opens);
            }

            foreach (var taken in Take(queue, now))
            {
                Assert.True(pending.TryGetValue(taken, out var opens), "taken twice or never filed");
                if (opens > now)
                {
                    Assert.True(laps, $"taken at {now}, due at {opens}");
                    queue.AddBack(taken, opens);
                    early++;
                    continue;
                }

                pending.Remove(taken);
            }

            Assert.DoesNotContain(pending.Values, opens => opens + Period <= now);
        }

        Assert.Equal(pending.Count, queue.Count);
        Assert.Equal(laps, early > 0);
    }

    private static List<RefreshQueue.Item> Take(RefreshQueue queue, long now)
    {
        var taken = new List<RefreshQueue.Item>();
        queue.TakeDue(now, taken);
        return taken;
    }

    private static RefreshQueue.Item Item(int n) => new(new KeyDigest((ulong)n, 0, 0, 0), new UseMark());
}
