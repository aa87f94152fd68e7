-- Incremental normalise: every activity in the (last computed) merge group of an activity in
-- ``scope`` (activity_id), or of one that shares a key with ``keys`` (k_title, k_url).
WITH hit AS (
    SELECT DISTINCT group_id FROM normalize_groups
    WHERE activity_id IN (SELECT activity_id FROM scope)
       OR k_title IN (SELECT k_title FROM keys WHERE k_title IS NOT NULL)
       OR k_url IN (SELECT k_url FROM keys WHERE k_url IS NOT NULL)
)
SELECT activity_id FROM normalize_groups WHERE group_id IN (SELECT group_id FROM hit);
