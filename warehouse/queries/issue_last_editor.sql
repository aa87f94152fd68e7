-- Who last edited an issue's draft (`renkei edit`, a move, the console): the actor of the
-- newest audit entry with action 'edit' for it. No row when nobody edited it. The
-- four-eyes rule (renkei.newsletter.approval) refuses that person's approval.
SELECT actor, logged_at
FROM audit_log
WHERE action = 'edit' AND subject = $issue_id
ORDER BY logged_at DESC, audit_id DESC
LIMIT 1;
