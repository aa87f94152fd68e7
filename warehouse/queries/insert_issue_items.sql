INSERT INTO issue_items BY NAME SELECT $issue_id AS issue_id, activity_id, section FROM batch;
