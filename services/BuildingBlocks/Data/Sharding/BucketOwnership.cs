using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;

namespace Platform.Data.Sharding;

/// <summary>
/// Which buckets a shard holds, kept in the shard itself (<c>shard_buckets</c>: one row per bucket it owns) and enforced
/// there: a trigger refuses to write a row of a bucket the shard does not own (SQLSTATE <see cref="NotOwnedSqlState"/>).
/// So a router with an out-of-date map cannot write to the wrong shard, and a bucket being moved is fenced by deleting
/// its row — after waiting, through an advisory lock every write takes shared, for the writes already under way.
/// A write that may change no row (an update of a row that is not there) calls <c>shard_bucket_check(bucket)</c> itself:
/// on a shard that has lost the bucket, "not found" must not pass for "nothing to do".
/// </summary>
public static class BucketOwnership
{
    /// <summary>What the trigger raises for a write to a bucket this shard does not own (moved away, or being moved).</summary>
    public const string NotOwnedSqlState = "SH001";

    /// <summary>The advisory lock class of bucket fences: writes take <c>(LockClass, bucket)</c> shared, a fence takes it exclusive.</summary>
    public const int LockClass = 0x53484152; // "SHAR"

    /// <summary>The advisory lock class a move holds on its source for the whole move: one move of a bucket at a time.</summary>
    public const int MoveLockClass = 0x4D4F5645; // "MOVE"

    /// <summary>The session setting that lets a bucket's rows be written before the shard owns them (the copy of a move).</summary>
    public const string CopyingSetting = "sharding.copying_bucket";

    /// <summary>Adds <c>shard_buckets</c> and the trigger that guards <paramref name="table"/> (which has a <c>bucket</c> column).</summary>
    public static void AddBucketOwnership(this MigrationBuilder migrationBuilder, string table)
    {
        migrationBuilder.Sql($"""
            CREATE TABLE shard_buckets (bucket smallint PRIMARY KEY CHECK (bucket >= 0 AND bucket < {Buckets.Count}));
            -- In the first shard: when the buckets were first given out (ShardedMigrationStep), so that it happens once.
            CREATE TABLE shard_map_seeded (shards int NOT NULL, seeded_at timestamptz NOT NULL DEFAULT now());

            -- In a write transaction for a bucket: waits while a move fences it, then raises unless this shard owns it.
            CREATE FUNCTION shard_bucket_check(bucket smallint) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('{CopyingSetting}', true) = bucket::text THEN
                    RETURN true;
                END IF;
                PERFORM pg_advisory_xact_lock_shared({LockClass}, bucket);
                IF NOT EXISTS (SELECT 1 FROM shard_buckets b WHERE b.bucket = shard_bucket_check.bucket) THEN
                    RAISE EXCEPTION 'bucket % is not on this shard', bucket USING ERRCODE = '{NotOwnedSqlState}';
                END IF;
                RETURN true;
            END $$;

            CREATE FUNCTION shard_bucket_owned() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM shard_bucket_check(NEW.bucket);
                RETURN NEW;
            END $$;

            CREATE TRIGGER {table}_bucket_owned BEFORE INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION shard_bucket_owned();
            """);
    }

    /// <summary>Undoes <see cref="AddBucketOwnership"/>.</summary>
    public static void DropBucketOwnership(this MigrationBuilder migrationBuilder, string table)
    {
        migrationBuilder.Sql($"""
            DROP TRIGGER {table}_bucket_owned ON {table};
            DROP FUNCTION shard_bucket_owned();
            DROP FUNCTION shard_bucket_check(smallint);
            DROP TABLE shard_map_seeded;
            DROP TABLE shard_buckets;
            """);
    }

    /// <summary>Whether <paramref name="exception"/> (or one inside it) is a shard's refusal of a bucket it does not own.</summary>
    public static bool IsNotOwned(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: BucketOwnership.NotOwnedSqlState })
            {
                return true;
            }
        }

        return false;
    }
}
