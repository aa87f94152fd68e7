-- Add a reviewer, or rename one already on the list (who added it and when are updated).
INSERT INTO reviewers (email, name, added_by, added_at)
VALUES ($email, $name, $by, $now)
ON CONFLICT (email) DO UPDATE SET name = excluded.name, added_by = excluded.added_by,
    added_at = excluded.added_at;
