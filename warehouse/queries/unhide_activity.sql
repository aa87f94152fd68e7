-- `renkei unhide`: the activity is public again from the next publish.
DELETE FROM activity_hidden WHERE activity_id = $activity_id;
