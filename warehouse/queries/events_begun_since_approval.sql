-- Listed events that began after the issue was approved: the approval is stale.
SELECT a.title, a.starts_at
FROM issue_items ii
JOIN activities a USING (activity_id)
JOIN newsletter_issues ni USING (issue_id)
WHERE ii.issue_id = $issue_id AND ii.section = 'events'
  AND a.starts_at > ni.approved_at AND a.starts_at <= $now
ORDER BY a.starts_at;
