UPDATE needs_seeds
SET status = $status, reviewed_by = $by, reviewed_at = $now, review_note = $note
WHERE need_id = $need_id AND status = 'pending';
