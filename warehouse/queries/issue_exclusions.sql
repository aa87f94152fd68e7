-- What the stored draft leaves out (and pinned stale items it keeps), in review order.
SELECT activity_id, title, member_name, reason, included
FROM issue_exclusions
WHERE issue_id = $issue_id
ORDER BY position;
