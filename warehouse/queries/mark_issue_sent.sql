UPDATE newsletter_issues SET status = 'sent', sent_at = $now, updated_at = $now
WHERE issue_id = $issue_id AND status = 'approved';
