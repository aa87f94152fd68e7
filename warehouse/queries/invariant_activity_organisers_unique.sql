-- Invariant (dbt `unique` on two columns): activity_organisers.(activity_id, member_id),
-- one row per member organising an activity (the table has no key: migration 029). One
-- row: how many pairs are duplicated, and one of them.
SELECT count(*) AS failing, min(activity_id || ' / ' || member_id) AS example
FROM (
    SELECT activity_id, member_id FROM activity_organisers
    GROUP BY activity_id, member_id
    HAVING count(*) > 1
);
