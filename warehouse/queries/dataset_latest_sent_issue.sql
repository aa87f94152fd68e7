-- The most recently sent issue (its id and the Japan date it was sent), if any.
SELECT issue_id, strftime(sent_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d') AS sent_on,
       period_start, period_end
FROM newsletter_issues
WHERE status = 'sent' AND sent_at IS NOT NULL
ORDER BY sent_at DESC, issue_id DESC
LIMIT 1;
