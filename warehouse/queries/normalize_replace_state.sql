-- Incremental normalise: the state after a run. ``changed``: the stage ids that were gone,
-- new or changed; ``seen``: (stage_id, row_hash, activity_id) of the new or changed rows;
-- ``scope``: the activities recomputed; ``groups``: their merge groups and keys (stored as
-- hashes: migration 028).
DELETE FROM quarantine WHERE stage = 'normalize' AND stage_id IN (SELECT stage_id FROM changed);
DELETE FROM normalize_rows WHERE stage_id IN (SELECT stage_id FROM changed);
INSERT INTO normalize_rows BY NAME SELECT stage_id, row_hash, activity_id FROM seen;
DELETE FROM normalize_groups WHERE activity_id IN (SELECT activity_id FROM scope);
INSERT INTO normalize_groups
SELECT activity_id, group_id,
       CASE WHEN k_title IS NOT NULL THEN hash(k_title) END,
       CASE WHEN k_url IS NOT NULL THEN hash(k_url) END
FROM groups;
