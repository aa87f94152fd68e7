-- Incremental normalise: every activity in the (last computed) merge group of an activity in
-- ``scope`` (activity_id), or of one that shares a key with ``keys`` (k_title, k_url), by
-- the keys' hashes (migration 028; a collision only adds an activity to the scope).
WITH hit AS (
    SELECT DISTINCT group_id FROM normalize_groups
    WHERE activity_id IN (SELECT activity_id FROM scope)
       OR title_key_hash IN (SELECT hash(k_title) FROM keys WHERE k_title IS NOT NULL)
       OR url_key_hash IN (SELECT hash(k_url) FROM keys WHERE k_url IS NOT NULL)
)
SELECT activity_id FROM normalize_groups WHERE group_id IN (SELECT group_id FROM hit);
