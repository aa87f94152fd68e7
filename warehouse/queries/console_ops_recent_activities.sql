-- The latest public activities (not hidden), for the console's 公開データ page.
SELECT a.activity_id, a.title, m.name AS member_name, a.category, a.starts_at,
       a.published_at, a.first_seen_at
FROM activities a
LEFT JOIN members m USING (member_id)
WHERE a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
ORDER BY coalesce(a.published_at, a.first_seen_at) DESC, a.activity_id
LIMIT $limit;
