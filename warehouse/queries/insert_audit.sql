INSERT INTO audit_log (logged_at, actor, action, subject, detail)
VALUES ($at, $actor, $action, $subject, $detail);
