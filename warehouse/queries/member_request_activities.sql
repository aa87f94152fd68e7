-- A member's activities from their feed and their reports (those a request may name),
-- newest first (capped), with whether the secretariat hid one and why.
SELECT a.activity_id, a.title, a.category, a.source, a.source_ref, a.starts_at, a.ends_at,
       a.deadline_at, a.published_at, a.first_seen_at, a.updated_at,
       (h.activity_id IS NOT NULL) AS hidden, h.reason AS hidden_reason
FROM activities a
LEFT JOIN activity_hidden h USING (activity_id)
WHERE a.member_id = $member_id
ORDER BY coalesce(a.published_at, a.starts_at, a.first_seen_at) DESC NULLS LAST, a.title
LIMIT $limit;
