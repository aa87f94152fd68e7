-- Every issue, newest period first, for the console's list and the CLI.
SELECT issue_id, number, status, subject, item_count, content_sha256, approved_by,
       approved_at, sent_at, updated_at
FROM newsletter_issues
ORDER BY period_start DESC, issue_id DESC;
