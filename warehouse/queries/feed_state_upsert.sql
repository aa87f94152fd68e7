-- Record attempts (the frame ``batch``, one row per feed). A success (ok: 200/304) resets
-- the failure count and may move the URL and validators; a failure keeps the validators
-- and the URL (unless the registry URL changed) and counts up, unless ``counted`` is false
-- (every feed failed in the same run: our own network was down, not the members' sites).
INSERT INTO feed_state
    (member_id, registry_url, url, etag, last_modified, last_sha256, last_status,
     last_attempt_at, last_success_at, consecutive_failures, last_error, updated_at)
SELECT member_id, registry_url, url, etag, last_modified, last_sha256, last_status,
       attempted_at, CASE WHEN ok THEN attempted_at END,
       CASE WHEN ok OR NOT counted THEN 0 ELSE 1 END, error,
       attempted_at
FROM batch
ON CONFLICT (member_id) DO UPDATE SET
    url = CASE WHEN excluded.last_success_at IS NOT NULL
                    OR feed_state.registry_url <> excluded.registry_url
               THEN excluded.url ELSE feed_state.url END,
    etag = CASE WHEN excluded.last_success_at IS NOT NULL
                THEN coalesce(excluded.etag, feed_state.etag) ELSE feed_state.etag END,
    last_modified = CASE WHEN excluded.last_success_at IS NOT NULL
                         THEN coalesce(excluded.last_modified, feed_state.last_modified)
                         ELSE feed_state.last_modified END,
    last_sha256 = coalesce(excluded.last_sha256, feed_state.last_sha256),
    last_status = excluded.last_status,
    last_attempt_at = excluded.last_attempt_at,
    last_success_at = coalesce(excluded.last_success_at, feed_state.last_success_at),
    consecutive_failures = CASE WHEN excluded.last_success_at IS NOT NULL THEN 0
                                WHEN excluded.consecutive_failures = 0
                                THEN feed_state.consecutive_failures
                                ELSE feed_state.consecutive_failures + 1 END,
    last_error = excluded.last_error,
    registry_url = excluded.registry_url,
    updated_at = excluded.updated_at;
