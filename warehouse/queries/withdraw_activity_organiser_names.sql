-- Activities withdrawn by a corrected resubmission: the organiser names kept as written
-- for them (recomputed by the next normalize anyway).
DELETE FROM activity_organiser_names WHERE list_contains($ids, activity_id);
