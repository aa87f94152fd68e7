-- One activity's id, title and current category (for `renkei classify`).
SELECT activity_id, title, category, category_rule FROM activities
WHERE activity_id = $activity_id;
