-- Normalise (full or incremental), step 2 of 2 (after activities_update_changed): the
-- activities not stored yet. ``batch`` is read once.
INSERT INTO activities BY NAME
SELECT b.*, $now AS updated_at
FROM batch AS b
ANTI JOIN activities AS a ON a.activity_id = b.activity_id;
