-- Invariant (dbt `not_null`, and not blank): activities.title. One row: how many activities
-- have a null or blank title, and one of their ids.
SELECT count(*) AS failing, min(activity_id) AS example
FROM activities
WHERE title IS NULL OR trim(title) = '';
