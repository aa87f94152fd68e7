INSERT INTO submission_rows BY NAME SELECT * FROM batch;
