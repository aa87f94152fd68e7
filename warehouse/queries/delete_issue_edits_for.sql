DELETE FROM issue_edits WHERE issue_id = $issue_id AND activity_id = $activity_id;
