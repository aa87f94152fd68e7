-- The draft's exclusions (renkei.newsletter.selection), written after delete_issue_exclusions.
INSERT INTO issue_exclusions BY NAME SELECT $issue_id AS issue_id, * FROM batch;
