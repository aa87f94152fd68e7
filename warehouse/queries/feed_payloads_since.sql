-- Stored feed bodies seen since a date, oldest first, for `renkei reparse`: one row per
-- member that received the body (two members' feeds may send identical bytes; the fetch
-- log names each), with the URL and first time that member got it.
WITH received AS (
    SELECT sha256, member_id, min(fetched_at) AS first_seen_at,
           arg_min(feed_url, fetched_at) AS feed_url
    FROM fetch_log
    WHERE sha256 IS NOT NULL AND member_id IS NOT NULL
    GROUP BY sha256, member_id
)
SELECT p.sha256,
       coalesce(r.member_id, p.member_id) AS member_id,
       CASE WHEN r.member_id IS NULL OR r.member_id = p.member_id
            THEN p.source_ref ELSE r.feed_url END AS source_ref,
       p.content_type,
       CASE WHEN r.member_id IS NULL OR r.member_id = p.member_id
            THEN p.first_seen_at ELSE r.first_seen_at END AS first_seen_at
FROM raw_payloads AS p
LEFT JOIN received AS r ON r.sha256 = p.sha256
WHERE p.source_kind = 'feed' AND p.last_seen_at >= $since
ORDER BY first_seen_at, p.sha256, member_id;
