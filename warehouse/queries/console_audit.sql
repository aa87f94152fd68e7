-- The audit log for the console, newest first, filtered (a NULL filter matches all).
SELECT audit_id, logged_at AS at, actor, action, subject, detail
FROM audit_log
WHERE ($actor IS NULL OR actor ILIKE $actor)
  AND ($action IS NULL OR action = $action)
  AND ($subject IS NULL OR subject ILIKE $subject)
  AND ($since IS NULL OR logged_at >= $since)
  AND ($until IS NULL OR logged_at < $until)
ORDER BY logged_at DESC, audit_id DESC
LIMIT $limit OFFSET $offset;
