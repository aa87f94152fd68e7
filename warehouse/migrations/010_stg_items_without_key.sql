-- stg_items without its PRIMARY KEY. DuckDB keeps an ART index for a key and writes it
-- out at every checkpoint: for a 100,000-row submission that index cost 0.35 s of the
-- 0.8 s warehouse write (bench/csv_intake.py). Staging stays idempotent without it:
-- insert_stg_items skips stage ids already staged (an anti join, cheap for the small
-- batches feeds and re-queues write), and a new submission is checked to have no staged
-- rows before its plain insert (submission_staged_count). DuckDB has one writer, so no
-- two writes race.
CREATE TABLE stg_items_keyless (
    stage_id       VARCHAR NOT NULL,
    raw_sha256     VARCHAR NOT NULL,
    position       BIGINT NOT NULL,
    source_kind    VARCHAR NOT NULL,         -- feed | csv
    member_id      VARCHAR NOT NULL,
    source_ref     VARCHAR NOT NULL,
    item_key       VARCHAR,
    title          VARCHAR,
    summary        VARCHAR,
    url            VARCHAR,
    published_text VARCHAR,
    starts_text    VARCHAR,
    ends_text      VARCHAR,
    time_text      VARCHAR,
    venue          VARCHAR,
    category_text  VARCHAR,
    deadline_text  VARCHAR,
    contact        VARCHAR,
    extra          VARCHAR,
    staged_at      TIMESTAMPTZ NOT NULL
);
INSERT INTO stg_items_keyless BY NAME SELECT * FROM stg_items;
DROP TABLE stg_items;
ALTER TABLE stg_items_keyless RENAME TO stg_items;
