-- Verdicts of a submission's rejected rows (accepted rows are in stg_items).
INSERT INTO submission_rows BY NAME SELECT * FROM batch;
