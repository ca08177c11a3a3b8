-- Orleans ADO.NET clustering provider (Microsoft.Orleans.Clustering.AdoNet,
-- UseAdoNetClustering): membership tables, helper functions and the named
-- queries the provider loads from OrleansQuery (PostgreSQL 15).
-- Query contract: dotnet/orleans src/AdoNet (Orleans 10.4.2).
--
-- Protocol summary:
--   * one OrleansMembershipVersionTable row per cluster (DeploymentId = ClusterId);
--     its Version is the table ETag. Every membership insert or update must present
--     the Version it last read and bumps it by one, atomically with the row change.
--   * one OrleansMembershipTable row per silo incarnation (address, port, generation).
--   * "boolean" queries must return exactly one row with exactly one column.
-- Requires 0001_orleans_main.sql. Idempotent: safe to run more than once.

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150)   NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150)   NOT NULL,
    Address      varchar(45)    NOT NULL,
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NULL,
    SuspectTimes text           NULL,
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,

    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_Version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Adds a silo row if the caller still holds the current table version.
-- The version row is locked first; a concurrent writer that bumped the version
-- makes the lock query find nothing, so the call returns false without changes.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM OrleansMembershipVersionTable
    WHERE DeploymentId = p_deployment_id
      AND Version = p_version
    FOR UPDATE;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName,
         Status, ProxyPort, StartTime, IAmAliveTime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name,
         p_status, p_proxy_port, p_start_time, p_i_am_alive_time)
    ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1,
        Timestamp = now()
    WHERE DeploymentId = p_deployment_id;

    RETURN true;
END
$fn$;

-- Updates a silo row (status, suspicions, heartbeat) under the same
-- table-version check as orleans_membership_insert.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM OrleansMembershipVersionTable
    WHERE DeploymentId = p_deployment_id
      AND Version = p_version
    FOR UPDATE;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipTable
    SET Status = p_status,
        SuspectTimes = p_suspect_times,
        IAmAliveTime = GREATEST(IAmAliveTime, p_i_am_alive_time)
    WHERE DeploymentId = p_deployment_id
      AND Address = p_address
      AND Port = p_port
      AND Generation = p_generation;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1,
        Timestamp = now()
    WHERE DeploymentId = p_deployment_id;

    RETURN true;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    -- Creates the cluster version row once; returns whether this call created it.
    'InsertMembershipVersionKey',
    $q$
    WITH created AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId)
        VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM created) AS Inserted;
    $q$
),
(
    'InsertMembershipKey',
    $q$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS Inserted;
    $q$
),
(
    'UpdateMembershipKey',
    $q$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation,
        @Status, @SuspectTimes, @IAmAliveTime, @Version) AS Updated;
    $q$
),
(
    -- Heartbeat. Does not touch the table version; never moves the time backwards.
    'UpdateIAmAlivetimeKey',
    $q$
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation;
    $q$
),
(
    -- Always one row (the version row); silo columns are NULL when the silo is unknown.
    'MembershipReadRowKey',
    $q$
    SELECT
        v.DeploymentId,
        m.Address, m.Port, m.Generation, m.SiloName, m.HostName,
        m.Status, m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime,
        v.Version
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m
           ON m.DeploymentId = v.DeploymentId
          AND m.Address = @Address
          AND m.Port = @Port
          AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;
    $q$
),
(
    'MembershipReadAllKey',
    $q$
    SELECT
        v.DeploymentId,
        m.Address, m.Port, m.Generation, m.SiloName, m.HostName,
        m.Status, m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime,
        v.Version
    FROM OrleansMembershipVersionTable v
    LEFT JOIN OrleansMembershipTable m
           ON m.DeploymentId = v.DeploymentId
    WHERE v.DeploymentId = @DeploymentId;
    $q$
),
(
    -- Used by gateway discovery (clients). Status is Active (3).
    'GatewaysQueryKey',
    $q$
    SELECT Address, ProxyPort, Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0;
    $q$
),
(
    'DeleteMembershipTableEntriesKey',
    $q$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
    $q$
),
(
    -- Required by the provider, but 10.4.2 only falls back to it when
    -- CleanupDefunctSiloEntryKey is absent: bulk-removes Dead (6) silos whose
    -- start and last heartbeat both precede the cut-off (@IAmAliveTime).
    'CleanupDefunctSiloEntriesKey',
    $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND StartTime < @IAmAliveTime
      AND IAmAliveTime < @IAmAliveTime;
    $q$
),
(
    -- Optional in 10.4.2 and preferred when present: the provider reads all rows,
    -- picks the defunct Dead silos itself and deletes each one only if the row
    -- still holds exactly the values it read (no concurrent change).
    'CleanupDefunctSiloEntryKey',
    $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
      AND Status = 6
      AND StartTime = @StartTime
      AND IAmAliveTime = @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = COALESCE(@SuspectTimes, '');
    $q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
