SELECT * FROM newsletter_issues WHERE issue_id = $issue_id;
