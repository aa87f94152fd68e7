-- The secretariat handled a request.
UPDATE member_requests
SET status = 'done', handled_by = $by, handled_at = $now, note = $note
WHERE id = $id AND status = 'open';
