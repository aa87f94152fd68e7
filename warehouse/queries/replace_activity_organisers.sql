-- Organisers are recomputed from staging on every normalize: replace them all. ``batch``:
-- the members (activity_organisers); ``names``: names that match no member, as written.
DELETE FROM activity_organisers;
INSERT INTO activity_organisers BY NAME SELECT * FROM batch;
DELETE FROM activity_organiser_names;
INSERT INTO activity_organiser_names BY NAME SELECT * FROM names;
