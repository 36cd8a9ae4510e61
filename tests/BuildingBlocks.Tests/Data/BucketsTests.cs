using Platform.Data.Sharding;

namespace Platform.BuildingBlocks.Tests.Data;

public sealed class BucketsTests
{
    [Fact]
    public void A_keys_bucket_is_the_same_in_every_process_and_version()
    {
        // Stored in rows and ids: a change of hash would put every customer in another bucket. These values must never change.
        Assert.Equal(Buckets.Of("3f6f2a57-2c71-4c4c-9c1e-2f3f4cbbd7a1"), Buckets.Of("3f6f2a57-2c71-4c4c-9c1e-2f3f4cbbd7a1"));
        Assert.Equal([115, 183, 5], new[] { Buckets.Of("customer-1"), Buckets.Of("customer-2"), Buckets.Of("") });
    }

    [Fact]
    public void Customers_spread_evenly_over_buckets_and_over_two_or_four_shards()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => Guid.NewGuid().ToString()).ToList();
        var perBucket = ids.GroupBy(Buckets.Of).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(Buckets.Count, perBucket.Count);
        Assert.All(perBucket.Values, count => Assert.InRange(count, 40, 120)); // 78 expected
        foreach (var shards in new[] { 2, 4 })
        {
            // As the buckets are given out on a new deployment: bucket b to shard b mod N.
            var perShard = ids.GroupBy(id => Buckets.Of(id) % shards).Select(g => (double)g.Count() / ids.Count).ToList();
            Assert.All(perShard, share => Assert.InRange(share, 1.0 / shards - 0.02, 1.0 / shards + 0.02));
        }
    }

    [Fact]
    public void An_id_carries_its_bucket_and_stays_a_time_ordered_version_7_id()
    {
        var ids = Enumerable.Range(0, Buckets.Count).Select(Buckets.NewId).ToList();

        Assert.Equal(Enumerable.Range(0, Buckets.Count), ids.Select(Buckets.Of));
        Assert.All(ids, id => Assert.Equal(7, id.Version));
        Assert.All(ids, id => Assert.Equal(0b10, id.Variant >> 2));
        var later = Buckets.NewId(0);
        Thread.Sleep(2);
        Assert.True(string.CompareOrdinal(Buckets.NewId(255).ToString(), later.ToString()) > 0, "a later id sorts after an earlier one, whatever the bucket");
    }

    [Fact]
    public void There_is_no_bucket_outside_the_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Buckets.NewId(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Buckets.NewId(Buckets.Count));
    }
}
