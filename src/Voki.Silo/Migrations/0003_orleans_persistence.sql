-- Orleans ADO.NET grain persistence provider (Microsoft.Orleans.Persistence.AdoNet,
-- AddAdoNetGrainStorage): state table, write function and the named queries the
-- provider loads from OrleansQuery (PostgreSQL 15).
-- Query contract: dotnet/orleans src/AdoNet (Orleans 10.4.2).
--
-- Contract summary:
--   * a grain state is identified by GrainIdHash, GrainIdN0, GrainIdN1,
--     GrainTypeHash, GrainTypeString, GrainIdExtensionString (NULL for non
--     string-keyed grains) and ServiceId. The two hashes are 32-bit values
--     computed by the provider hasher and exist only to make lookups indexable.
--   * Version is the state ETag. Writes, clears and deletes return the new
--     version in a single column; returning NULL or the unchanged version
--     tells the provider the operation lost a race (InconsistentStateException).
--   * ReadFromStorageKey returns PayloadBinary and Version (at most one row).
--   * DeleteStorageKey is optional; it is used when DeleteStateOnClear = true.
-- Requires 0001_orleans_main.sql. Idempotent: safe to run more than once.

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        text         NOT NULL,
    GrainIdExtensionString text         NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NULL
);

CREATE INDEX IF NOT EXISTS IX_OrleansStorage_Hashes
    ON OrleansStorage (GrainIdHash, GrainTypeHash);

-- Writes a grain state and returns its new version, or NULL on a version conflict.
--   p_version NOT NULL: the caller read version p_version; update only if unchanged.
--   p_version NULL:     first write; insert only if no row exists yet. Concurrent
--                       first writers of the same grain are serialised with a
--                       transaction-scoped advisory lock on the two hashes (the
--                       two-int4 key space, disjoint from single bigint keys).
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_grain_id_hash    integer,
    p_grain_id_n0      bigint,
    p_grain_id_n1      bigint,
    p_grain_type_hash  integer,
    p_grain_type       text,
    p_grain_id_ext     text,
    p_service_id       text,
    p_version          integer,
    p_payload          bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new_version integer;
BEGIN
    IF p_version IS NOT NULL THEN
        UPDATE OrleansStorage
        SET PayloadBinary = p_payload,
            ModifiedOn = now(),
            Version = Version + 1
        WHERE GrainIdHash = p_grain_id_hash
          AND GrainTypeHash = p_grain_type_hash
          AND GrainIdN0 = p_grain_id_n0
          AND GrainIdN1 = p_grain_id_n1
          AND GrainTypeString = p_grain_type
          AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_ext
          AND ServiceId = p_service_id
          AND Version = p_version
        RETURNING Version INTO v_new_version;

        RETURN v_new_version;
    END IF;

    PERFORM pg_advisory_xact_lock(p_grain_id_hash, p_grain_type_hash);

    INSERT INTO OrleansStorage
        (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
         GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
    SELECT
        p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type,
        p_grain_id_ext, p_service_id, p_payload, now(), 1
    WHERE NOT EXISTS
    (
        SELECT 1
        FROM OrleansStorage
        WHERE GrainIdHash = p_grain_id_hash
          AND GrainTypeHash = p_grain_type_hash
          AND GrainIdN0 = p_grain_id_n0
          AND GrainIdN1 = p_grain_id_n1
          AND GrainTypeString = p_grain_type
          AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_ext
          AND ServiceId = p_service_id
    )
    RETURNING Version INTO v_new_version;

    RETURN v_new_version;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    'WriteToStorageKey',
    $q$
    SELECT orleans_storage_write(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary)
        AS NewGrainStateVersion;
    $q$
),
(
    'ReadFromStorageKey',
    $q$
    SELECT PayloadBinary, ModifiedOn, Version
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId;
    $q$
),
(
    -- Keeps the row (payload NULL) and bumps the version.
    'ClearStorageKey',
    $q$
    UPDATE OrleansStorage
    SET PayloadBinary = NULL,
        ModifiedOn = now(),
        Version = Version + 1
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId
      AND Version = @GrainStateVersion
    RETURNING Version AS NewGrainStateVersion;
    $q$
),
(
    -- DeleteStateOnClear = true: removes the row; returns the deleted version + 1
    -- so the provider sees a changed version.
    'DeleteStorageKey',
    $q$
    DELETE FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId
      AND Version = @GrainStateVersion
    RETURNING Version + 1 AS NewGrainStateVersion;
    $q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
