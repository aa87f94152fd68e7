-- Every sent issue for the public archive, newest first.
SELECT issue_id, number, subject, html, sent_at
FROM newsletter_issues
WHERE status = 'sent' AND sent_at IS NOT NULL
ORDER BY sent_at DESC, issue_id DESC;
