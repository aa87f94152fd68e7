-- Hidden activities (activity_hidden, `renkei hide`) are left out.
-- The $limit most recently published activities, newest first: the Atom feed.
SELECT a.activity_id, m.name AS member_name, a.category, regexp_replace(a.title, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS title,
       regexp_replace(a.summary, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '（メールアドレス省略）', 'g') AS summary, CASE WHEN a.url ILIKE 'mailto:%' THEN NULL ELSE a.url END AS url,
       a.published_at, a.first_seen_at, a.updated_at
FROM activities a
JOIN members m USING (member_id)
WHERE a.activity_id NOT IN (SELECT activity_id FROM activity_hidden)
ORDER BY coalesce(a.published_at, a.first_seen_at) DESC, a.activity_id DESC
LIMIT $limit;
