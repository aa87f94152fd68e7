-- Activities withdrawn by a corrected resubmission: their organisers (recomputed by the
-- next normalize anyway).
DELETE FROM activity_organisers WHERE list_contains($ids, activity_id);
