-- 009: feed health and scheduling. When each feed is due next (backoff after repeated
-- failures, Retry-After on 429/503, Cache-Control max-age on success) and whether the site
-- said the feed is gone for good (410: disabled until its registry URL changes).

ALTER TABLE feed_state ADD COLUMN next_due_at TIMESTAMPTZ;
ALTER TABLE feed_state ADD COLUMN disabled_at TIMESTAMPTZ;
ALTER TABLE feed_state ADD COLUMN disabled_reason VARCHAR;
