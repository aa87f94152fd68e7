-- One hidden activity's record, if it is hidden.
SELECT activity_id, hidden_by, hidden_at, reason FROM activity_hidden
WHERE activity_id = $activity_id;
