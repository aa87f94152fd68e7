-- 008: submitted reports. One row per (file content, member): which period it reports, what
-- became of it, and which earlier file of the same member and period it replaced.
CREATE TABLE submissions (
    sha256        VARCHAR NOT NULL,
    member_id     VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    path          VARCHAR NOT NULL,          -- where it arrived (absolute)
    period        VARCHAR NOT NULL,          -- YYYY-MM the report is for
    received_at   TIMESTAMPTZ NOT NULL,
    format        VARCHAR,                   -- csv | tsv | xlsx
    encoding      VARCHAR,
    rows_read     INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    status        VARCHAR NOT NULL,          -- accepted | rejected | superseded
    error         VARCHAR,                   -- why the whole file was rejected
    superseded_by VARCHAR,                   -- sha256 of the corrected resubmission
    receipt_path  VARCHAR,
    PRIMARY KEY (sha256, member_id)
);

-- The rejected data rows of a submission with their verdicts. (Until 2026-11-23 every row,
-- with its identity: an accepted row's identity — member + normalised title + start date =
-- the activity_id it becomes — is now recomputed from its staged row in stg_items, see
-- submission_check.staged_identities; the columns stay for the older rows.)
CREATE TABLE submission_rows (
    sha256         VARCHAR NOT NULL,
    member_id      VARCHAR NOT NULL,
    position       BIGINT NOT NULL,          -- 0-based data row; Excel row = position + 2
    accepted       BOOLEAN NOT NULL,
    activity_id    VARCHAR,
    content_sha256 VARCHAR,
    title          VARCHAR,
    starts_on      DATE,
    reason         VARCHAR,
    PRIMARY KEY (sha256, member_id, position)
);
