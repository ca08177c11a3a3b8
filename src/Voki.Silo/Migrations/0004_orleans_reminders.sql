-- Orleans ADO.NET reminder service (Microsoft.Orleans.Reminders.AdoNet,
-- UseAdoNetReminderService): reminder table and the named queries the provider
-- loads from OrleansQuery (PostgreSQL 15).
-- Query contract: dotnet/orleans src/AdoNet (Orleans 10.4.2).
--
-- Contract summary:
--   * rows are read back as GrainId, ReminderName, StartTime, Period (bigint,
--     milliseconds) and Version (the reminder ETag).
--   * GrainHash is the grain uniform hash (uint) stored as a signed int4. The
--     provider picks ReadRangeRows1Key when (int)begin < (int)end, i.e. the
--     range (begin, end] does not wrap in signed order, else ReadRangeRows2Key.
-- Requires 0001_orleans_main.sql. Idempotent: safe to run more than once.

CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150)   NOT NULL,
    GrainId      text           NOT NULL,
    ReminderName text           NOT NULL,
    StartTime    timestamptz(3) NOT NULL,
    Period       bigint         NOT NULL,
    GrainHash    integer        NOT NULL,
    Version      integer        NOT NULL,

    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash
    ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
(
    -- Returns the new ETag: 0 for a new reminder, previous + 1 for an update.
    'UpsertReminderRowKey',
    $q$
    INSERT INTO OrleansRemindersTable
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
    SET StartTime = EXCLUDED.StartTime,
        Period = EXCLUDED.Period,
        GrainHash = EXCLUDED.GrainHash,
        Version = OrleansRemindersTable.Version + 1
    RETURNING Version;
    $q$
),
(
    'ReadReminderRowsKey',
    $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId;
    $q$
),
(
    'ReadReminderRowKey',
    $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainId = @GrainId
      AND ReminderName = @ReminderName;
    $q$
),
(
    -- Non-wrapping range: begin < GrainHash <= end.
    'ReadRangeRows1Key',
    $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND GrainHash > @BeginHash
      AND GrainHash <= @EndHash;
    $q$
),
(
    -- Wrapping range (also the whole ring when begin = end).
    'ReadRangeRows2Key',
    $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
    FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId
      AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
    $q$
),
(
    -- Deletes only if the ETag still matches; one boolean column.
    'DeleteReminderRowKey',
    $q$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
        WHERE ServiceId = @ServiceId
          AND GrainId = @GrainId
          AND ReminderName = @ReminderName
          AND Version = @Version
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM deleted) AS Deleted;
    $q$
),
(
    'DeleteReminderRowsKey',
    $q$
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId;
    $q$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
