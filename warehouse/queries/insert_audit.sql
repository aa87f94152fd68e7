INSERT INTO audit_log (at, actor, action, subject, detail)
VALUES ($at, $actor, $action, $subject, $detail);
