-- Rejection returns the issue to draft; the reason goes to the audit log.
UPDATE newsletter_issues
SET status = 'draft', approved_at = NULL, approved_by = NULL, approved_sha256 = NULL,
    approval_comment = NULL, updated_at = $now
WHERE issue_id = $issue_id AND status IN ('draft', 'approved');
