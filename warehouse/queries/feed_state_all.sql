-- Per-feed fetch state (validators, current URL, last body hash, schedule), read before
-- fetching.
SELECT member_id, registry_url, url, etag, last_modified, last_sha256, last_status,
       consecutive_failures, next_due_at, disabled_at, disabled_reason, last_error
FROM feed_state;
