-- Bounces and complaints that answer one issue (autoreplies and unknowns left out).
SELECT kind, recipient, status_code, diagnostic, received_at, action
FROM bounce_events
WHERE issue_id = $issue_id AND kind IN ('hard', 'soft', 'delayed', 'complaint')
ORDER BY kind, recipient, received_at;
