using System.IO.Hashing;
using System.Text;

namespace Platform.Data.Sharding;

/// <summary>
/// Virtual buckets: every key (a customer id) falls into one of <see cref="Count"/> buckets by a stable hash, and
/// buckets, not keys, are assigned to shards. Moving a bucket moves all of its keys; the number of buckets never changes.
/// </summary>
public static class Buckets
{
    /// <summary>Fixed for the life of the data: a key's bucket is stored in its rows and its ids. At most 256 (one byte of an id).</summary>
    public const int Count = 256;

    private const int IdByte = 7; // of the id's big-endian bytes: the low 8 of a version-7 id's 12 random "rand_a" bits

    /// <summary>The bucket of <paramref name="key"/>: XxHash32 of its UTF-8 bytes, never <see cref="string.GetHashCode()"/> (which changes per process).</summary>
    public static int Of(string key) => (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(key)) % Count);

    /// <summary>The bucket an id made by <see cref="NewId"/> carries.</summary>
    public static int Of(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return bytes[IdByte];
    }

    /// <summary>A new time-ordered (version 7) id that carries <paramref name="bucket"/>, so that it routes without a lookup.</summary>
    public static Guid NewId(int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, Count);
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7().TryWriteBytes(bytes, bigEndian: true, out _);
        bytes[IdByte] = (byte)bucket;
        return new Guid(bytes, bigEndian: true);
    }
}
