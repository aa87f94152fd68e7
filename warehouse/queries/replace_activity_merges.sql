-- Merges are recomputed from staging on every normalize: replace them all, and drop the
-- activities that now live inside another one.
DELETE FROM activity_merges;
INSERT INTO activity_merges BY NAME SELECT * FROM batch;
DELETE FROM activities WHERE activity_id IN (SELECT merged_activity_id FROM activity_merges);
