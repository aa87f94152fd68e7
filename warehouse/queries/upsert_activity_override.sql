-- Record (or replace) the secretariat's category for one activity.
INSERT INTO activity_overrides VALUES ($activity_id, $category, $set_by, $now)
ON CONFLICT (activity_id) DO UPDATE SET category = excluded.category,
    set_by = excluded.set_by, set_at = excluded.set_at;
