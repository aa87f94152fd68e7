-- 027: what incremental normalise needs to know about the last one (renkei.normalize.incremental).
-- normalize_rows: every staged row a normalise has seen, with a hash of its content (a
-- re-parse keeps the stage id but may change the row) and the activity it became (null:
-- quarantined). normalize_groups: every activity before merging, its merge group (the kept
-- activity) and the two keys merge_cohosted links by. normalize_runs: one row per run, what
-- it processed; the latest run's fingerprint (rules, registry, settings) tells whether the
-- state can be trusted (a mismatch, or no state, means a full normalise).
CREATE TABLE normalize_rows (
    stage_id    VARCHAR NOT NULL,
    row_hash    UBIGINT NOT NULL,
    activity_id VARCHAR
);
CREATE TABLE normalize_groups (
    activity_id VARCHAR NOT NULL,
    group_id    VARCHAR NOT NULL,
    k_title     VARCHAR,
    k_url       VARCHAR
);
CREATE TABLE normalize_runs (
    run_at             TIMESTAMPTZ NOT NULL,
    mode               VARCHAR NOT NULL,      -- full | incremental | full-nostate
    fingerprint        VARCHAR,
    staged_rows        BIGINT NOT NULL,       -- new or changed staged rows processed
    gone_rows          BIGINT NOT NULL,       -- staged rows gone since the last run
    activities_touched BIGINT NOT NULL,
    seconds            DOUBLE NOT NULL
);
