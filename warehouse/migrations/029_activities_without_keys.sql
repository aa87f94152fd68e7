-- activities and activity_organisers without their PRIMARY KEYs (as 010 did for
-- stg_items). DuckDB keeps an ART index for a key, builds it row by row as a write goes
-- and writes it out at the commit: for a full normalise of 1,000,000 staged rows the two
-- indexes cost some 2.5 s of 22 s (bench/normalize.py: activities' insert 2.6 s → 1.9 s,
-- the organisers' 0.8 s → 0.3 s, the commit 1.65 s → 0.15 s). Uniqueness stays checked:
-- normalise writes these tables only, and checks invariant_activities_unique_id and
-- invariant_activity_organisers_unique inside its transaction before the commit, so a
-- result that breaks one is rolled back (renkei.normalize.invariants); the activity writes
-- update what is stored and insert the rest (activities_update_changed,
-- activities_insert_new) instead of relying on ON CONFLICT. Lookups by id scan one
-- column (a million ids: milliseconds). Views read the tables by name, so they stay.
CREATE TABLE activities_keyless (
    activity_id    VARCHAR NOT NULL,
    member_id      VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    source_ref     VARCHAR,
    stage_id       VARCHAR,
    title          VARCHAR NOT NULL,
    title_key      VARCHAR NOT NULL,
    summary        VARCHAR,
    url            VARCHAR,
    category       VARCHAR NOT NULL,
    category_rule  VARCHAR NOT NULL,
    guideline      TINYINT,
    guideline_rule VARCHAR,
    starts_at      TIMESTAMPTZ,
    ends_at        TIMESTAMPTZ,
    all_day        BOOLEAN NOT NULL,
    published_at   TIMESTAMPTZ,
    deadline_at    TIMESTAMPTZ,
    venue          VARCHAR,
    contact        VARCHAR,
    date_note      VARCHAR,
    content_sha256 VARCHAR NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    online         VARCHAR,
    fee_text       VARCHAR,
    capacity_text  VARCHAR,
    audience_text  VARCHAR,
    fact_notes     VARCHAR,
    schedule_text  VARCHAR
);
INSERT INTO activities_keyless BY NAME SELECT * FROM activities;
DROP TABLE activities;
ALTER TABLE activities_keyless RENAME TO activities;
CREATE TABLE activity_organisers_keyless (
    activity_id VARCHAR NOT NULL,
    member_id   VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,            -- host | co_host
    rule        VARCHAR NOT NULL             -- publisher | merge:same_title_date | merge:same_url | text:主催
);
INSERT INTO activity_organisers_keyless BY NAME SELECT * FROM activity_organisers;
DROP TABLE activity_organisers;
ALTER TABLE activity_organisers_keyless RENAME TO activity_organisers;
