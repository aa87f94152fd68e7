DELETE FROM issue_items WHERE issue_id = $issue_id;
