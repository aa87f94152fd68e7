-- One row per feed fetch attempt (the frame ``batch``), with what it came to
-- (fetched | not_modified | unchanged | failed) and the URL the body finally came from.
INSERT INTO fetch_log BY NAME
SELECT member_id, feed_url, fetched_at, status_code, bytes, elapsed_ms, sha256, item_count,
       bozo, error, outcome, final_url
FROM batch;
