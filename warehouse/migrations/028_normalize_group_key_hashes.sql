-- 028: normalize_groups keeps a 64-bit hash of each merge key (DuckDB's hash()) instead of
-- the key: an incremental normalise only looks groups up by key, and a million activities'
-- keys (some 110 bytes each) took 0.6 s of every full normalise to write and compress. A
-- collision only widens an incremental run's scope (the activities found are recomputed
-- exactly), never changes a result. The state is the normalise's own: the table is made
-- anew, and STATE_VERSION 2 (renkei.normalize.state) makes the next normalise a full one,
-- which fills it.
DROP TABLE normalize_groups;
CREATE TABLE normalize_groups (
    activity_id    VARCHAR NOT NULL,
    group_id       VARCHAR NOT NULL,
    title_key_hash UBIGINT,
    url_key_hash   UBIGINT
);
