DELETE FROM activity_merges
WHERE list_contains($ids, activity_id) OR list_contains($ids, merged_activity_id);
