-- Invariant (dbt `accepted_values`): activity_organisers.role is one of $roles (not null).
-- One row: how many organiser rows fail, and one of them.
SELECT count(*) AS failing,
       min(activity_id || '/' || member_id || ' (' || coalesce(role, 'NULL') || ')') AS example
FROM activity_organisers
WHERE role IS NULL OR NOT list_contains($roles, role);
