-- Organisers are recomputed from staging on every normalize: replace them all.
DELETE FROM activity_organisers;
INSERT INTO activity_organisers BY NAME SELECT * FROM batch;
