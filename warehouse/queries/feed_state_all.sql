-- Per-feed fetch state (validators, current URL, last body hash), read before fetching.
SELECT member_id, registry_url, url, etag, last_modified, last_sha256, last_status,
       consecutive_failures
FROM feed_state;
