-- 003: feed state for polite, incremental fetching. One row per member feed: where it is
-- now (permanent redirects and autodiscovery move it), the validators for conditional GET,
-- the sha256 of the last body (same bytes = no parse) and how the last attempt went.

CREATE TABLE feed_state (
    member_id            VARCHAR PRIMARY KEY,
    registry_url         VARCHAR NOT NULL,   -- the URL in members.csv this state belongs to
    url                  VARCHAR NOT NULL,   -- where the feed is fetched from now
    etag                 VARCHAR,
    last_modified        VARCHAR,
    last_sha256          VARCHAR,
    last_status          INTEGER,
    last_attempt_at      TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           VARCHAR,
    updated_at           TIMESTAMPTZ NOT NULL
);

-- What each attempt came to: fetched | not_modified | unchanged | failed; and the URL the
-- body finally came from when a redirect or autodiscovery moved it.
ALTER TABLE fetch_log ADD COLUMN outcome VARCHAR;
ALTER TABLE fetch_log ADD COLUMN final_url VARCHAR;
