DELETE FROM issue_exclusions WHERE issue_id = $issue_id;
