UPDATE newsletter_issues
SET status = 'approved', approved_at = $now, approved_by = $by,
    approved_sha256 = content_sha256, approval_comment = $comment, updated_at = $now
WHERE issue_id = $issue_id AND status = 'draft' AND content_sha256 = $content_sha256;
