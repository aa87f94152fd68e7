-- Incremental normalise on a large warehouse: related pairs of activities that went in this
-- run (``dropped``) or are hidden go (the rest are recomputed by the next rebuild).
DELETE FROM related_activities
WHERE activity_id IN (SELECT activity_id FROM dropped)
   OR related_id IN (SELECT activity_id FROM dropped)
   OR activity_id IN (SELECT activity_id FROM activity_hidden)
   OR related_id IN (SELECT activity_id FROM activity_hidden);
