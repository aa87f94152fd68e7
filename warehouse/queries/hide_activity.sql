-- `renkei hide`: record who hid an activity, when and why (one row per hidden activity).
INSERT INTO activity_hidden (activity_id, hidden_by, hidden_at, reason)
VALUES ($activity_id, $hidden_by, $hidden_at, $reason);
