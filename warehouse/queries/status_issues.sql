SELECT issue_id, number, status, item_count, approved_by, approved_at, sent_at
FROM newsletter_issues ORDER BY issue_id;
