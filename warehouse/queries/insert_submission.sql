INSERT INTO submissions BY NAME SELECT * FROM batch;
