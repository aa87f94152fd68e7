-- Invariant (dbt `accepted_values`): activities.guideline is null or one of $guidelines.
-- One row: how many activities fail, and one of their ids with its guideline.
SELECT count(*) AS failing,
       min(activity_id || ' (' || CAST(guideline AS VARCHAR) || ')') AS example
FROM activities
WHERE guideline IS NOT NULL AND NOT list_contains($guidelines, CAST(guideline AS INTEGER));
