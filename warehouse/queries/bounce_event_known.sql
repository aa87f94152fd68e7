-- Which of these bounce-mailbox messages were recorded already (a re-read after a crash).
SELECT event_key FROM bounce_events WHERE event_key IN (SELECT unnest($keys::VARCHAR[]));
