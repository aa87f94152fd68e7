-- Health of every member feed listed in the registry (`renkei feeds`, the flow's artifact).
-- An item is dated by its publication date once normalised (activities, JST-correct), else
-- by when it was first seen (staged), so items fetched but not yet normalised count too.
WITH dated AS (
    SELECT s.member_id, s.item_key, min(s.staged_at) AS first_seen_at,
           max(a.published_at) AS published_at
    FROM stg_items AS s
    LEFT JOIN activities AS a ON a.stage_id = s.stage_id
    WHERE s.source_kind = 'feed'
    GROUP BY s.member_id, s.item_key
),
items AS (
    SELECT member_id,
           count(*) FILTER (WHERE coalesce(published_at, first_seen_at)
                                  >= $now - INTERVAL 30 DAY) AS items_30d,
           count(*) FILTER (WHERE coalesce(published_at, first_seen_at)
                                  >= $now - INTERVAL 90 DAY) AS items_90d,
           max(coalesce(published_at, first_seen_at)) AS last_item_at
    FROM dated
    GROUP BY member_id
),
feeds AS (
    SELECT m.member_id, m.name, coalesce(s.url, m.feed_url) AS url, s.last_success_at,
           s.last_attempt_at, coalesce(s.consecutive_failures, 0) AS consecutive_failures,
           s.last_error, s.next_due_at, s.disabled_at, s.disabled_reason,
           coalesce(i.items_30d, 0) AS items_30d, coalesce(i.items_90d, 0) AS items_90d,
           i.last_item_at
    FROM members AS m
    LEFT JOIN feed_state AS s USING (member_id)
    LEFT JOIN items AS i USING (member_id)
    WHERE coalesce(m.feed_url, '') <> ''
)
SELECT *,
       CASE WHEN disabled_at IS NOT NULL THEN 'disabled'
            WHEN last_attempt_at IS NULL THEN 'never-fetched'
            WHEN last_success_at IS NULL OR last_attempt_at > last_success_at
                 OR consecutive_failures > 0 THEN 'failing'
            WHEN items_90d = 0 THEN 'stale'
            ELSE 'ok' END AS status
FROM feeds
ORDER BY member_id;
