-- Every hidden activity's id: taken out of the published snapshots too.
SELECT activity_id FROM activity_hidden ORDER BY activity_id;
