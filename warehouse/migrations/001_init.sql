-- 001: the foundation schema. Layers: raw_ (payload index) -> stg_ (parsed rows with
-- lineage) -> activities (one row per real-world activity) -> newsletter / deliveries.

CREATE TABLE members (
    member_id     VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    sector        VARCHAR NOT NULL,
    prefecture    VARCHAR NOT NULL,
    scope         VARCHAR,
    feed_url      VARCHAR,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Every fetched feed body and submitted file, by content. Bytes live in the raw store
-- folder under sha256; this table says where each came from and when.
CREATE TABLE raw_payloads (
    sha256        VARCHAR PRIMARY KEY,
    source_kind   VARCHAR NOT NULL,          -- feed | submission
    source_ref    VARCHAR NOT NULL,          -- feed URL or submitted file name
    member_id     VARCHAR,
    bytes         BIGINT NOT NULL,
    content_type  VARCHAR,
    stored_path   VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE fetch_log_seq;
CREATE TABLE fetch_log (
    fetch_id      BIGINT PRIMARY KEY DEFAULT nextval('fetch_log_seq'),
    member_id     VARCHAR,
    feed_url      VARCHAR NOT NULL,
    fetched_at    TIMESTAMPTZ NOT NULL,
    status_code   INTEGER,
    bytes         BIGINT,
    elapsed_ms    INTEGER,
    sha256        VARCHAR,
    item_count    INTEGER,
    bozo          BOOLEAN,
    error         VARCHAR
);

-- Parsed but uncleaned rows, one per feed item / CSV row, keyed by (raw payload, position).
CREATE TABLE stg_items (
    stage_id       VARCHAR PRIMARY KEY,
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

-- Rows that could not become activities, with the reason (Japanese, for the secretariat).
CREATE TABLE quarantine (
    stage_id       VARCHAR,
    raw_sha256     VARCHAR NOT NULL,
    position       BIGINT,
    member_id      VARCHAR,
    stage          VARCHAR NOT NULL,         -- submission | normalize
    reason         VARCHAR NOT NULL,
    detail         VARCHAR,
    quarantined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (raw_sha256, position, stage)
);

CREATE TABLE activities (
    activity_id    VARCHAR PRIMARY KEY,
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
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE newsletter_issues (
    issue_id        VARCHAR PRIMARY KEY,     -- the period, e.g. 2026-11
    number          INTEGER NOT NULL,        -- 第N号
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    status          VARCHAR NOT NULL,        -- draft | approved | sent
    subject         VARCHAR NOT NULL,
    html            VARCHAR NOT NULL,
    text            VARCHAR NOT NULL,
    content_sha256  VARCHAR NOT NULL,
    item_count      INTEGER NOT NULL,
    editorial       VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    approved_at     TIMESTAMPTZ,
    approved_by     VARCHAR,
    approved_sha256 VARCHAR,
    sent_at         TIMESTAMPTZ
);

-- Which activities an issue carries; a news item appears in at most one sent issue.
CREATE TABLE issue_items (
    issue_id    VARCHAR NOT NULL,
    activity_id VARCHAR NOT NULL,
    section     VARCHAR NOT NULL,
    PRIMARY KEY (issue_id, activity_id)
);

CREATE TABLE contacts (
    email         VARCHAR PRIMARY KEY,       -- normalised (lower-case domain)
    member_id     VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,          -- subscribed | unsubscribed | bounced
    consent_source VARCHAR NOT NULL,
    consent_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE deliveries (
    issue_id     VARCHAR NOT NULL,
    recipient    VARCHAR NOT NULL,
    member_id    VARCHAR,
    status       VARCHAR NOT NULL,           -- sending | sent | failed
    message_id   VARCHAR NOT NULL,
    transport    VARCHAR NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    sent_at      TIMESTAMPTZ,
    error        VARCHAR,
    PRIMARY KEY (issue_id, recipient)
);

CREATE SEQUENCE audit_log_seq;
CREATE TABLE audit_log (
    audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    logged_at TIMESTAMPTZ NOT NULL,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    subject  VARCHAR,
    detail   VARCHAR
);

CREATE SEQUENCE runs_seq;
CREATE TABLE runs (
    run_id      BIGINT PRIMARY KEY DEFAULT nextval('runs_seq'),
    stage       VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,            -- running | ok | failed
    summary     VARCHAR
);
