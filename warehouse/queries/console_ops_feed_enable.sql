-- The console re-enables a feed disabled after 410 Gone: it is fetched on the next run (a
-- feed that still answers 410 is disabled again).
UPDATE feed_state
SET disabled_at = NULL, disabled_reason = NULL, next_due_at = NULL, consecutive_failures = 0,
    updated_at = $now
WHERE member_id = $member_id;
