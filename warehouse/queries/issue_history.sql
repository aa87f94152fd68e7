-- Everything done to one issue (draft, edit, approve, reject, send...), newest first; the
-- detail is the JSON the audit entry was written with (renkei.core.audit).
SELECT logged_at AS at, actor, action, detail
FROM audit_log
WHERE subject = $issue_id
ORDER BY logged_at DESC, audit_id DESC;
