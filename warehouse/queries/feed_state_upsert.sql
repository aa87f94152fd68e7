-- Record attempts (the frame ``batch``, one row per feed attempted). A success (ok: 200/304)
-- may move the URL and validators; a failure keeps the validators and the URL (unless the
-- registry URL changed). The failure count, the next due time and a 410's disabling are
-- worked out per attempt in renkei/feed_schedule.py and written as given.
INSERT INTO feed_state
    (member_id, registry_url, url, etag, last_modified, last_sha256, last_status,
     last_attempt_at, last_success_at, consecutive_failures, last_error, updated_at,
     next_due_at, disabled_at, disabled_reason)
SELECT member_id, registry_url, url, etag, last_modified, last_sha256, last_status,
       attempted_at, CASE WHEN ok THEN attempted_at END, failures, error, attempted_at,
       next_due_at, disabled_at, disabled_reason
FROM batch
ON CONFLICT (member_id) DO UPDATE SET
    url = CASE WHEN excluded.last_success_at IS NOT NULL
                    OR feed_state.registry_url <> excluded.registry_url
               THEN excluded.url ELSE feed_state.url END,
    -- Validators: a full answer (200) brings its own or none (a stale one would be sent to
    -- a site that never issued it); a 304 may omit them and keeps the stored ones; a failure
    -- keeps them unless the registry moved the feed elsewhere.
    etag = CASE WHEN excluded.last_success_at IS NULL
                THEN CASE WHEN feed_state.registry_url = excluded.registry_url
                          THEN feed_state.etag END
                WHEN excluded.last_status = 304 THEN coalesce(excluded.etag, feed_state.etag)
                ELSE excluded.etag END,
    last_modified = CASE WHEN excluded.last_success_at IS NULL
                         THEN CASE WHEN feed_state.registry_url = excluded.registry_url
                                   THEN feed_state.last_modified END
                         WHEN excluded.last_status = 304
                         THEN coalesce(excluded.last_modified, feed_state.last_modified)
                         ELSE excluded.last_modified END,
    last_sha256 = coalesce(excluded.last_sha256, feed_state.last_sha256),
    last_status = excluded.last_status,
    last_attempt_at = excluded.last_attempt_at,
    last_success_at = coalesce(excluded.last_success_at, feed_state.last_success_at),
    consecutive_failures = excluded.consecutive_failures,
    last_error = excluded.last_error,
    registry_url = excluded.registry_url,
    updated_at = excluded.updated_at,
    next_due_at = excluded.next_due_at,
    disabled_at = excluded.disabled_at,
    disabled_reason = excluded.disabled_reason;
