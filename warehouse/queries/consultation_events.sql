SELECT *, event_at AS at FROM consultation_events WHERE consultation_id = $consultation_id ORDER BY event_at, event_id;
