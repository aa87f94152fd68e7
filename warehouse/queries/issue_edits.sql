SELECT activity_id, action, value FROM issue_edits WHERE issue_id = $issue_id;
