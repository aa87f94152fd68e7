-- Member requests for the console: open ones first, then newest first; with the member's
-- name and the activity's title (NULL when it is gone).
SELECT r.*, m.name AS member_name, a.title AS activity_title
FROM member_requests r
LEFT JOIN members m USING (member_id)
LEFT JOIN activities a ON a.activity_id = r.activity_id
WHERE $member_id IS NULL OR r.member_id = $member_id
ORDER BY (r.status = 'open') DESC, r.created_at DESC, r.id DESC
LIMIT $limit;
