-- Activities only the replaced file held: withdrawn by the member.
DELETE FROM activities WHERE list_contains($ids, activity_id);
