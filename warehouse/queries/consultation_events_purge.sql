UPDATE consultation_events SET actor = '（削除）', note = NULL
WHERE event_at < $before AND actor LIKE '%@%';
