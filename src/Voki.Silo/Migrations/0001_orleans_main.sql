-- Orleans ADO.NET providers: shared query catalogue (PostgreSQL 15).
--
-- The Orleans ADO.NET clustering, persistence and reminder providers keep no SQL
-- of their own. At start-up each one runs
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- and executes the stored texts by key, binding parameters by name (@Name) and
-- reading result columns by name. The later migrations fill this table.
-- Query contract: dotnet/orleans src/AdoNet (Orleans 10.4.2).
--
-- Identifiers are deliberately unquoted (PostgreSQL folds them to lower case),
-- because the providers issue unquoted names too.
-- Idempotent: safe to run more than once.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,

    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
