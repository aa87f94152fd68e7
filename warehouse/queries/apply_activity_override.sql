-- Apply one secretariat override to the activity table at once (normalize keeps it).
UPDATE activities SET category = $category, category_rule = 'override:' || $set_by
WHERE activity_id = $activity_id;
