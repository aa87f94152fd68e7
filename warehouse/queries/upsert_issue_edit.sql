INSERT INTO issue_edits VALUES ($issue_id, $activity_id, $action, $value, $by, $now)
ON CONFLICT (issue_id, activity_id, action) DO UPDATE SET value = excluded.value,
    edited_by = excluded.edited_by, edited_at = excluded.edited_at;
