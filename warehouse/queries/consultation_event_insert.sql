INSERT INTO consultation_events (consultation_id, event_at, actor, kind, note)
VALUES ($consultation_id, $now, $actor, $kind, $note);
