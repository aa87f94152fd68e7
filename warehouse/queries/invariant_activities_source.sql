-- Invariant (dbt `accepted_values`): activities.source is one of $sources (not null).
-- One row: how many activities fail, and one of their ids with its source.
SELECT count(*) AS failing,
       min(activity_id || ' (' || coalesce(source, 'NULL') || ')') AS example
FROM activities
WHERE source IS NULL OR NOT list_contains($sources, source);
