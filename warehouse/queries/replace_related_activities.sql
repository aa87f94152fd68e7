-- Related activities are recomputed from activities on every normalise: replace them all.
DELETE FROM related_activities;
INSERT INTO related_activities BY NAME SELECT * FROM batch;
