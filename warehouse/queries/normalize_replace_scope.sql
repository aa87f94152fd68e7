-- Incremental normalise: replace what normalise derives for the activities in ``scope``
-- (every activity id recomputed, kept or not). ``kept``: the activities written (after
-- merging); ``orgs``, ``names``, ``merges``: their organisers, organiser names and merges.
DELETE FROM activities
WHERE activity_id IN (SELECT activity_id FROM scope)
  AND activity_id NOT IN (SELECT activity_id FROM kept);
DELETE FROM activity_organisers WHERE activity_id IN (SELECT activity_id FROM scope);
INSERT INTO activity_organisers BY NAME SELECT * FROM orgs;
DELETE FROM activity_organiser_names WHERE activity_id IN (SELECT activity_id FROM scope);
INSERT INTO activity_organiser_names BY NAME SELECT * FROM names;
DELETE FROM activity_merges
WHERE activity_id IN (SELECT activity_id FROM scope)
   OR merged_activity_id IN (SELECT activity_id FROM scope);
INSERT INTO activity_merges BY NAME SELECT * FROM merges;
