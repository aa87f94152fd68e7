-- Invariant (dbt `accepted_values`): activities.category is one of $categories (not null).
-- One row: how many activities fail, and one of their ids with its category.
SELECT count(*) AS failing,
       min(activity_id || ' (' || coalesce(category, 'NULL') || ')') AS example
FROM activities
WHERE category IS NULL OR NOT list_contains($categories, category);
