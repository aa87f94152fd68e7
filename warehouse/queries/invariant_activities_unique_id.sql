-- Invariant (dbt `unique` + `not_null`): activities.activity_id. One row: how many ids are
-- duplicated or null, and one of them.
SELECT count(*) AS failing, min(coalesce(activity_id, 'NULL')) AS example
FROM (
    SELECT activity_id FROM activities
    GROUP BY activity_id
    HAVING count(*) > 1 OR activity_id IS NULL
);
