-- Invariant (dbt `relationships`): every activity_organisers row names an activity in
-- activities. One row: how many organiser rows point nowhere, and one of their activity ids.
SELECT count(*) AS failing, min(o.activity_id) AS example
FROM activity_organisers o
ANTI JOIN activities a ON a.activity_id = o.activity_id;
